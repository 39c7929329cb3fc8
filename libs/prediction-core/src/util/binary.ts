/** Bytes of a typed array, copied into a standalone Buffer (safe to serialise). */
export function bytesOf(view: ArrayBufferView): Buffer {
  return Buffer.from(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
}

type Ctor<T> = { new (buffer: ArrayBuffer): T; BYTES_PER_ELEMENT: number };

/** Typed array rebuilt from bytes (copied so it is aligned); null when the length does not fit. */
export function typedFrom<T>(ctor: Ctor<T>, bytes: unknown): T | null {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength % ctor.BYTES_PER_ELEMENT !== 0) return null;
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new ctor(copy.buffer);
}
