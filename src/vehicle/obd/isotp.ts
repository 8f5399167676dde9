/**
 * ISO 15765-2 (ISO-TP) on classic CAN, as OBD-II uses it (ISO 15765-4): single frames
 * (PCI 0x0L), first frames (0x1L LL, up to 4095 bytes), consecutive frames (0x2N) and flow
 * control (0x3S BS STmin). Sans-IO: frames and timestamps in, payloads and frames to send
 * out. OBD frames are always 8 bytes long, padded.
 */

export const PAD = 0x00;
/** N_Cr: longest wait for the next consecutive frame. */
export const CF_TIMEOUT_MS = 1000;
export const ISOTP_MAX = 4095;

/** An 8-byte single frame carrying `payload` (1-7 bytes). */
export function singleFrame(payload: Uint8Array): Uint8Array {
  if (payload.length < 1 || payload.length > 7) throw new RangeError(`single frame carries 1-7 bytes, not ${payload.length}`);
  const f = new Uint8Array(8).fill(PAD);
  f[0] = payload.length;
  f.set(payload, 1);
  return f;
}

/** Flow control "continue to send": block size 0 (no further FC), STmin in ms (0-127). */
export function flowControl(stMinMs: number): Uint8Array {
  const f = new Uint8Array(8).fill(PAD);
  f[0] = 0x30;
  f[1] = 0;
  f[2] = Math.max(0, Math.min(127, Math.round(stMinMs)));
  return f;
}

/** The frames of `payload`: one single frame, or a first frame and consecutive frames. */
export function segment(payload: Uint8Array): Uint8Array[] {
  if (payload.length <= 7) return [singleFrame(payload)];
  if (payload.length > ISOTP_MAX) throw new RangeError(`ISO-TP carries at most ${ISOTP_MAX} bytes, not ${payload.length}`);
  const out: Uint8Array[] = [];
  const ff = new Uint8Array(8);
  ff[0] = 0x10 | (payload.length >> 8);
  ff[1] = payload.length & 0xff;
  ff.set(payload.subarray(0, 6), 2);
  out.push(ff);
  let seq = 1;
  for (let i = 6; i < payload.length; i += 7, seq = (seq + 1) & 0xf) {
    const cf = new Uint8Array(8).fill(PAD);
    cf[0] = 0x20 | seq;
    cf.set(payload.subarray(i, i + 7), 1);
    out.push(cf);
  }
  return out;
}

export type RxResult =
  | { kind: 'message'; payload: Uint8Array }
  /** A first frame: the sender waits for flow control before the rest. */
  | { kind: 'first' }
  | { kind: 'flow'; status: number; blockSize: number; stMinMs: number }
  | { kind: 'bad'; why: string }
  | { kind: 'none' };

/**
 * Reassembles what one sender (one CAN identifier) sends. A new single or first frame
 * replaces an unfinished message; a consecutive frame out of sequence or after N_Cr drops it.
 */
export class IsoTpReceiver {
  private buf: Uint8Array | null = null;
  private len = 0;
  private have = 0;
  private nextSeq = 1;
  private lastMs = 0;

  push(d: Uint8Array, nowMs: number): RxResult {
    const pci = d[0];
    if (pci === undefined) return { kind: 'bad', why: 'empty frame' };
    switch (pci >> 4) {
      case 0: {
        const n = pci & 0xf;
        this.buf = null;
        if (n < 1 || n > 7 || n + 1 > d.length) return { kind: 'bad', why: `single frame length ${n} in ${d.length} bytes` };
        return { kind: 'message', payload: d.slice(1, 1 + n) };
      }
      case 1: {
        if (d.length < 8) return { kind: 'bad', why: 'first frame shorter than 8 bytes' };
        const n = ((pci & 0xf) << 8) | d[1]!;
        if (n < 8) return { kind: 'bad', why: `first frame length ${n} (a single frame would do)` };
        this.buf = new Uint8Array(n);
        this.len = n;
        this.buf.set(d.subarray(2, 8));
        this.have = 6;
        this.nextSeq = 1;
        this.lastMs = nowMs;
        return { kind: 'first' };
      }
      case 2: {
        if (!this.buf) return { kind: 'bad', why: 'consecutive frame without a first frame' };
        if (nowMs - this.lastMs > CF_TIMEOUT_MS) {
          this.buf = null;
          return { kind: 'bad', why: 'consecutive frame after N_Cr' };
        }
        if ((pci & 0xf) !== this.nextSeq) {
          this.buf = null;
          return { kind: 'bad', why: `consecutive frame ${pci & 0xf}, expected ${this.nextSeq}` };
        }
        const take = Math.min(7, this.len - this.have, d.length - 1);
        this.buf.set(d.subarray(1, 1 + take), this.have);
        this.have += take;
        this.nextSeq = (this.nextSeq + 1) & 0xf;
        this.lastMs = nowMs;
        if (this.have < this.len) return { kind: 'none' };
        const payload = this.buf;
        this.buf = null;
        return { kind: 'message', payload };
      }
      case 3:
        if (d.length < 3) return { kind: 'bad', why: 'short flow control' };
        return { kind: 'flow', status: pci & 0xf, blockSize: d[1]!, stMinMs: d[2]! <= 0x7f ? d[2]! : 1 };
      default:
        return { kind: 'bad', why: `PCI type ${pci >> 4}` };
    }
  }

  /** True while a multi-frame message is being received. */
  get busy(): boolean {
    return this.buf !== null;
  }

  reset(): void {
    this.buf = null;
  }
}
