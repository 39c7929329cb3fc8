import { parseBenchArgs, tokensCli } from './cli';
import { EventQueue } from './event-queue';
import { peakInWindow, type PolicyResult } from './metrics';
import { evaluateTargets, renderTable } from './report';

const result = (policy: string, over: Partial<PolicyResult> = {}): PolicyResult => ({
  policy,
  requests: 100,
  requestsMetExpiredToken: 0,
  requestsWaitedOnRefresh: 0,
  requestsExpiredOrWaited: 0,
  refreshes: 10,
  refreshCalls: 10,
  refreshesPerActiveSessionHour: 10,
  refreshesAfterLastRequest: 0,
  pushedAfterLastRequest: 0,
  renewedAfterLastRequest: 0,
  refreshesNeverPresented: 0,
  extendedAccessTokens: 0,
  peakRefreshesPerSecond: 4,
  sustainedPeakRefreshesPerSecond: 1,
  familiesRevokedForReuse: 0,
  refreshesPulledForward: 0,
  refreshesRenewedOnUse: 0,
  otherVerificationFailures: 0,
  pushesNeeded: 0,
  pushesNotNeeded: 0,
  letExpireCameBack: 0,
  ...over,
});

describe('bench:tokens helpers', () => {
  it('finds the busiest sliding window', () => {
    expect(peakInWindow([], 1000)).toBe(0);
    expect(peakInWindow([0, 999, 1000, 1500, 1999, 5000], 1000)).toBe(3);
    expect(peakInWindow([0, 1000, 2000], 1000)).toBe(1);
  });

  it('pops events in time order, ties in insertion order', () => {
    const q = new EventQueue<string>();
    [
      [5, 'a'],
      [1, 'b'],
      [5, 'c'],
      [0, 'd'],
      [1, 'e'],
    ].forEach(([t, x]) => q.push(t as number, x as string));
    const out: string[] = [];
    for (let e = q.pop(); e; e = q.pop()) out.push(e.item);
    expect(out).toEqual(['d', 'b', 'e', 'a', 'c']);
  });

  it('evaluates the refresh targets against the 60-second fixed skew', () => {
    const ok = evaluateTargets([
      result('fixed-skew-60s', { refreshes: 100, sustainedPeakRefreshesPerSecond: 1 }),
      result('foresight', { refreshes: 50, refreshesAfterLastRequest: 12, sustainedPeakRefreshesPerSecond: 0.5 }),
    ]);
    expect(ok).toMatchObject({ zeroExpiredOrWaited: true, refreshesWithin50Percent: true, sustainedPeakWithin50Percent: true, afterLastWithin25Percent: true });
    expect(ok.afterLastRequestShare).toBeCloseTo(0.24, 6);
    const bad = evaluateTargets([
      result('fixed-skew-60s', { refreshes: 100, sustainedPeakRefreshesPerSecond: 1 }),
      result('foresight', { requestsExpiredOrWaited: 1, refreshes: 51, refreshesAfterLastRequest: 13, sustainedPeakRefreshesPerSecond: 0.51 }),
    ]);
    expect(bad).toMatchObject({
      zeroExpiredOrWaited: false,
      refreshesWithin50Percent: false,
      sustainedPeakWithin50Percent: false,
      afterLastWithin25Percent: false,
    });
    const none = evaluateTargets([result('fixed-skew-60s', { refreshes: 0, sustainedPeakRefreshesPerSecond: 0 }), result('foresight', { refreshes: 0 })]);
    expect(none).toMatchObject({ refreshRatioVsFixed60: null, sustainedPeakRatioVsFixed60: null, afterLastRequestShare: 0 });
  });

  it('renders one row per policy', () => {
    expect(renderTable([result('a'), result('b')], 10_000).split('\n')).toHaveLength(4);
  });

  it('parses arguments and rejects bad ones', () => {
    const a = parseBenchArgs(['--data', 'x', '--time-scale', '30']);
    expect(a).toMatchObject({
      data: 'x',
      accessTtlMs: 900_000,
      timeScale: 30,
      peakWindowMs: 300_000,
      seasonMs: 108_000_000,
      maxAccessTtlMs: 1_800_000,
      renewOnUseMs: 70_000,
    });
    expect(parseBenchArgs(['--data', 'x', '--renew-on-use', '0']).renewOnUseMs).toBe(0);
    expect(() => parseBenchArgs(['--data', 'x', '--renew-on-use', '-1'])).toThrow(/--renew-on-use/);
    expect(() => parseBenchArgs(['--data', 'x', '--max-access-ttl', '600'])).toThrow(/--max-access-ttl must be at least --access-ttl/);
    expect(() => parseBenchArgs([])).toThrow(/--data is required/);
    expect(() => parseBenchArgs(['--data', 'x', '--access-ttl', 'soon'])).toThrow(/--access-ttl/);
  });

  it('prints its usage on --help and refuses unknown options', () => {
    expect(tokensCli.resolve(['-h'])).toEqual({ kind: 'help', text: tokensCli.usage });
    expect(tokensCli.usage.replace(/\s+/g, ' ')).toMatch(
      /--peak-window <s> window of the sustained-rate measure, replay seconds \(default 10 × --time-scale\)/,
    );
    expect(tokensCli.resolve(['--data', 'x', '--ttl', '60'])).toEqual({
      kind: 'invalid',
      text: 'unknown option --ttl\nrun with --help for usage (npm run bench:tokens -- --help)',
    });
    expect(() => parseBenchArgs(['--data', 'x', '--bucket', '60', '--season', '30'])).toThrow(/--season must be at least --bucket/);
  });
});
