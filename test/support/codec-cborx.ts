import { Encoder } from 'cbor-x';

/**
 * cbor-x as an independent, plain RFC 8949 writer (no tag 259 on Maps, no tag 64
 * on byte strings, no record extension): what another implementation would send.
 */
const plain = new Encoder({ useRecords: false, mapsAsObjects: false, tagUint8Array: false });

export function cborx(v: unknown): Uint8Array {
  return plain.encode(v);
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
