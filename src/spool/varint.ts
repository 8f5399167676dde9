/** Unsigned LEB128 varints for integers up to 2^53 (arithmetic, not 32-bit bit ops). */
export function uvarintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

export function writeUvarint(buf: Uint8Array, pos: number, n: number): number {
  while (n >= 128) {
    buf[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** Result of a read: the value, or -1 in `next` when the varint is cut off or longer than 8 bytes. */
export interface VarintRead {
  value: number;
  next: number;
}

export function readUvarint(buf: Uint8Array, pos: number, end: number, out: VarintRead): void {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 8 && pos < end; i++) {
    const b = buf[pos++]!;
    value += (b & 0x7f) * mul;
    if (b < 0x80) {
      out.value = value;
      out.next = pos;
      return;
    }
    mul *= 128;
  }
  out.next = -1;
}

export function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

export function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}
