import { ErrorCodes, ForesightError } from '@foresight/contracts';
import { dataKeyParam } from './data-key';

describe('data keys in the URL', () => {
  it('accepts visible ASCII keys up to 512 characters', () => {
    expect(dataKeyParam('product:42')).toBe('product:42');
    expect(dataKeyParam('user/7:orders')).toBe('user/7:orders');
    expect(dataKeyParam('k'.repeat(512))).toHaveLength(512);
  });

  it.each(['', 'a b', 'prod*', 'ünï', 'k'.repeat(513), undefined])('refuses %p with REQUEST.INVALID', (raw) => {
    expect(() => dataKeyParam(raw)).toThrow(ForesightError);
    try {
      dataKeyParam(raw);
    } catch (error) {
      expect((error as ForesightError).code).toBe(ErrorCodes.VALIDATION);
    }
  });
});
