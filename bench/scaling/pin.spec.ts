import { parseCpuList, planPinning } from './pin';
import { ephemeralRange, portBelowRange } from './ports';

describe('load generator pinning', () => {
  it('parses the kernel’s core lists', () => {
    expect(parseCpuList('0-1')).toEqual([0, 1]);
    expect(parseCpuList('0-2,5, 7-8\n')).toEqual([0, 1, 2, 5, 7, 8]);
    expect(parseCpuList('3')).toEqual([3]);
    expect(parseCpuList('2-1')).toBeUndefined();
    expect(parseCpuList('a')).toBeUndefined();
    expect(parseCpuList('')).toBeUndefined();
  });

  it('gives the load generator the last core and the services the rest', () => {
    expect(planPinning([0, 1], undefined)).toEqual({ pinned: true, loadGeneratorCore: 1, serviceCores: [0] });
    expect(planPinning([0, 1, 2, 3], undefined)).toEqual({ pinned: true, loadGeneratorCore: 3, serviceCores: [0, 1, 2] });
  });

  it('does not pin with one core or without taskset, and says why', () => {
    const one = planPinning([0], undefined);
    expect(one.pinned).toBe(false);
    expect(one.serviceCores).toEqual([0]);
    const none = planPinning([0, 1], 'taskset not found');
    expect(none).toEqual({ pinned: false, reason: 'taskset not found', serviceCores: [0, 1] });
  });
});

describe('ports for services that start slowly', () => {
  it('reads the ephemeral range and falls back to the usual one', () => {
    expect(ephemeralRange('32768\t60999\n')).toEqual({ low: 32_768, high: 60_999 });
    expect(ephemeralRange('garbage')).toEqual({ low: 32_768, high: 60_999 });
  });

  it('picks ports below the ephemeral range, above the privileged ones', () => {
    const range = { low: 32_768 };
    expect(portBelowRange(range, 0)).toBe(10_000);
    expect(portBelowRange(range, 0.999999)).toBeLessThan(32_768);
    expect(portBelowRange({ low: 5_000 }, 0)).toBe(1_025);
    expect(portBelowRange({ low: 5_000 }, 0.999999)).toBeLessThan(5_000);
  });
});
