import { SessionWindows } from './session-windows';

describe('SessionWindows', () => {
  it('keeps the last `length` actions of a session and its last version', () => {
    const windows = new SessionWindows(10, 3);
    const w = windows.open('s1', 'u1', [1, 2], 4);
    windows.push(w, 3, 5);
    windows.push(w, 4, 7);
    expect(windows.get('s1')).toEqual({ userId: 'u1', actions: [2, 3, 4], lastVersion: 7 });
  });

  it('opens with only the tail of a long history', () => {
    const windows = new SessionWindows(10, 2);
    expect(windows.open('s', null, [1, 2, 3, 4], 9).actions).toEqual([3, 4]);
  });

  it('evicts the least recently used session beyond maxSessions', () => {
    const windows = new SessionWindows(2, 4);
    windows.open('a', null, [1], 1);
    windows.open('b', null, [1], 1);
    windows.get('a');
    windows.open('c', null, [1], 1);
    expect(windows.has('a')).toBe(true);
    expect(windows.has('b')).toBe(false);
    expect(windows.has('c')).toBe(true);
    expect(windows.size).toBe(2);
    expect(windows.evicted).toBe(1);
  });
});
