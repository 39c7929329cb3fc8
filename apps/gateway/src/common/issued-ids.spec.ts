import { generateSessionId } from '@foresight/session-domain';
import { IssuedIds } from './issued-ids';

describe('IssuedIds', () => {
  it('checks an issued id once, a refused one every time', () => {
    const checked: string[] = [];
    const ids = new IssuedIds((id) => (checked.push(id), id.startsWith('ok')));
    expect([ids.has('ok1'), ids.has('ok1'), ids.has('bad'), ids.has('bad')]).toEqual([true, true, false, false]);
    expect(checked).toEqual(['ok1', 'bad', 'bad']);
  });

  it('remembers a bounded number of ids, forgetting the oldest', () => {
    const checked: string[] = [];
    const ids = new IssuedIds((id) => (checked.push(id), true), 2);
    for (const id of ['a1', 'a2', 'a3', 'a3', 'a2', 'a1']) ids.has(id);
    // a1 was forgotten when a3 came in: checked again at the end.
    expect(checked).toEqual(['a1', 'a2', 'a3', 'a1']);
  });

  it('answers as the HMAC check with the cluster secret does', () => {
    const ids = IssuedIds.forSecret('a-secret-long-enough-for-the-check-0123456789');
    const id = generateSessionId('a-secret-long-enough-for-the-check-0123456789');
    expect(ids.has(id)).toBe(true);
    expect(ids.has(generateSessionId('another-secret-long-enough-0123456789abcdef'))).toBe(false);
  });
});
