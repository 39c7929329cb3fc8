import { parseApacheLog, parseApacheTime, sessionise } from './apache-log';

const line = (ip: string, stamp: string, ua = 'Mozilla/5.0') => `${ip} - - [${stamp}] "GET /a HTTP/1.1" 200 123 "http://x/" "${ua}"`;

describe('apache log', () => {
  it('parses timestamps with offsets', () => {
    expect(parseApacheTime('17/May/2015:10:05:03 +0000')).toBe(Date.UTC(2015, 4, 17, 10, 5, 3));
    expect(parseApacheTime('17/May/2015:12:05:03 +0200')).toBe(Date.UTC(2015, 4, 17, 10, 5, 3));
    expect(parseApacheTime('garbage')).toBeUndefined();
  });

  it('keys clients by IP and user agent and counts unparseable lines', () => {
    const text = [line('1.1.1.1', '17/May/2015:10:05:03 +0000'), 'not a log line', line('1.1.1.1', '17/May/2015:10:05:04 +0000', 'curl')].join('\n');
    const { requests, skipped } = parseApacheLog(text);
    expect(skipped).toBe(1);
    expect(requests.map((r) => r.clientKey)).toEqual(['1.1.1.1|Mozilla/5.0', '1.1.1.1|curl']);
  });

  it('splits a client into sessions at gaps longer than the idle gap', () => {
    const m = 60_000;
    const sessions = sessionise([0, 10 * m, 40 * m + 1, 41 * m].map((at) => ({ clientKey: 'c', at })).concat([{ clientKey: 'd', at: 5 * m }]), 30 * m);
    expect(sessions.map((s) => [s.clientKey, s.requests])).toEqual([
      ['c', [0, 10 * m]],
      ['d', [5 * m]],
      ['c', [40 * m + 1, 41 * m]],
    ]);
  });
});
