import { Sealer } from './sealer';

const secret = 'a-test-secret-that-is-at-least-32-characters';

describe('Sealer', () => {
  const sealer = new Sealer(secret);
  const plaintext = Buffer.from('{"accessToken":"x","refreshToken":"y"}');

  it('round-trips a value for the same purpose and row', () => {
    const sealed = sealer.seal('token-pair', plaintext, 'family-1:3');
    expect(sealed.includes(plaintext)).toBe(false);
    expect(sealer.open('token-pair', sealed, 'family-1:3')).toEqual(plaintext);
  });

  it('refuses another row, another purpose, another secret, and tampering', () => {
    const sealed = sealer.seal('token-pair', plaintext, 'family-1:3');
    expect(() => sealer.open('token-pair', sealed, 'family-1:4')).toThrow();
    expect(() => sealer.open('signing-key', sealed, 'family-1:3')).toThrow();
    expect(() => new Sealer(`${secret}!`).open('token-pair', sealed, 'family-1:3')).toThrow();
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] ^= 1;
    expect(() => sealer.open('token-pair', tampered, 'family-1:3')).toThrow();
    expect(() => sealer.open('token-pair', Buffer.from([1, 2, 3]), 'family-1:3')).toThrow();
  });

  it('uses a fresh IV each time', () => {
    expect(sealer.seal('token-pair', plaintext, 'r').equals(sealer.seal('token-pair', plaintext, 'r'))).toBe(false);
  });

  it('rejects short secrets', () => {
    expect(() => new Sealer('short')).toThrow(RangeError);
  });
});
