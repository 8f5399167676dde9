import type { CanFrame } from '../../hal/can.js';
import { IsoTpReceiver, segment } from '../obd/isotp.js';
import { NEGATIVE, NRC_PENDING, SERVICE, isBitmapPid } from '../obd/pids.js';

export interface SimEcuOptions {
  /** Response identifier (0x7E8 for the engine ECU); it also answers physical requests to id - 8. */
  id?: number;
  /** Mode 01 data bytes per PID (a function: read at each request). */
  pids: Record<number, () => number[]>;
  /** Mode 03 codes as two raw bytes each. */
  dtcs?: [number, number][];
  vin?: string;
  /** Precede the first answer to each of these services with "response pending". */
  pendingFor?: number[];
}

/**
 * A simulated OBD-II ECU at frame level (ISO 15765-4, 11-bit), sans-IO: request frames in,
 * response frames out. Multi-frame answers wait for the tester's flow control. Its
 * supported-PID bitmaps come from the PIDs it has. `silent` makes it ignore everything.
 */
export class SimObdEcu {
  readonly id: number;
  silent = false;
  private readonly rx = new IsoTpReceiver();
  private pending: Uint8Array[] = [];
  private readonly pendingDone = new Set<number>();
  readonly requests: number[][] = [];

  constructor(private readonly o: SimEcuOptions) {
    this.id = o.id ?? 0x7e8;
  }

  /** Frames this ECU sends in answer to `f` (empty when it is not addressed or is silent). */
  receive(f: CanFrame, nowMs: number): CanFrame[] {
    if (this.silent || f.ext || (f.id !== 0x7df && f.id !== this.id - 8)) return [];
    const r = this.rx.push(f.data, nowMs);
    if (r.kind === 'flow') return this.pending.splice(0).map((data) => this.frame(data));
    if (r.kind !== 'message') return [];
    this.requests.push([...r.payload]);
    const service = r.payload[0]!;
    const out: CanFrame[] = [];
    if (this.o.pendingFor?.includes(service) && !this.pendingDone.has(service)) {
      this.pendingDone.add(service);
      out.push(this.frame(segment(Uint8Array.of(NEGATIVE, service, NRC_PENDING))[0]!));
    }
    const frames = segment(Uint8Array.from(this.answer(r.payload)));
    this.pending = frames.slice(1);
    out.push(this.frame(frames[0]!));
    return out;
  }

  private frame(data: Uint8Array): CanFrame {
    return { id: this.id, ext: false, data };
  }

  private answer(req: Uint8Array): number[] {
    const service = req[0]!;
    if (service === SERVICE.CURRENT && req.length >= 2) {
      const pid = req[1]!;
      if (isBitmapPid(pid)) return [0x41, pid, ...this.bitmap(pid)];
      const data = this.o.pids[pid];
      return data ? [0x41, pid, ...data()] : [NEGATIVE, service, 0x31];
    }
    if (service === SERVICE.DTC) {
      const dtcs = this.o.dtcs ?? [];
      return [0x43, dtcs.length, ...dtcs.flat()];
    }
    if (service === SERVICE.VEHICLE_INFO && req[1] === 0x02) {
      return this.o.vin ? [0x49, 0x02, 0x01, ...Buffer.from(this.o.vin, 'latin1')] : [NEGATIVE, service, 0x12];
    }
    return [NEGATIVE, service, 0x11];
  }

  /** Bitmap of PIDs base+1..base+32: the PIDs it has, plus the next bitmap when any PID lies beyond. */
  private bitmap(base: number): number[] {
    const have = Object.keys(this.o.pids).map(Number);
    const b = [0, 0, 0, 0];
    for (let i = 1; i <= 32; i++) {
      const pid = base + i;
      const on = have.includes(pid) || (i === 32 && have.some((p) => p > pid));
      if (on) b[(i - 1) >> 3]! |= 0x80 >> ((i - 1) & 7);
    }
    return b;
  }
}
