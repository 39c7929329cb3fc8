import { ErrorCodes, ForesightError } from '@foresight/contracts';
import { predictionCountParam } from './predictions.controller';

describe('?n= of the predictions endpoint', () => {
  it('defaults to 5 and accepts 1..50', () => {
    expect(predictionCountParam(undefined)).toBe(5);
    expect(predictionCountParam('1')).toBe(1);
    expect(predictionCountParam('50')).toBe(50);
  });

  it.each(['0', '51', '-1', '2.5', 'abc', '1e1', ' 3', ['1', '2']])('refuses %p with REQUEST.INVALID', (raw) => {
    expect(() => predictionCountParam(raw)).toThrow(ForesightError);
    try {
      predictionCountParam(raw);
    } catch (error) {
      expect((error as ForesightError).code).toBe(ErrorCodes.VALIDATION);
    }
  });
});
