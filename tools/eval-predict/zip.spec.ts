import { deflateRawSync } from 'node:zlib';
import { listZip } from './zip';

/** Builds a zip archive (stored or deflated entries) the way common tools lay it out. */
function makeZip(files: { name: string; data: Buffer; deflate: boolean }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const body = f.deflate ? deflateRawSync(f.data) : f.data;
    const name = Buffer.from(f.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(f.deflate ? 8 : 0, 8);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(f.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(f.deflate ? 8 : 0, 10);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(f.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(files.length, 8);
  eocd.writeUInt16LE(files.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

describe('listZip', () => {
  it('reads stored and deflated entries', () => {
    const text = Buffer.from('% header\n\n1 1 2\n3\n'.repeat(50));
    const zip = makeZip([
      { name: '__MACOSX/._x.seq', data: Buffer.from('junk'), deflate: false },
      { name: 'x.seq', data: text, deflate: true },
    ]);
    const entries = listZip(zip);
    expect(entries.map((e) => e.name)).toEqual(['__MACOSX/._x.seq', 'x.seq']);
    expect(entries[1]!.read().equals(text)).toBe(true);
    expect(entries[0]!.read().toString()).toBe('junk');
  });

  it('explains when the bytes are not a zip', () => {
    expect(() => listZip(Buffer.alloc(100))).toThrow(/not a zip/);
  });
});
