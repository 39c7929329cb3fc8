import { parseCpuList, planPinning } from './pin';

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
