import type { CanFrame } from '../../hal/can.js';
import type { VehicleValues } from '../values.js';
import { parseId } from './id.js';
import { PGN, PGNS } from './pgns.js';
import { TpReassembler, type TpStats } from './tp.js';

/** One decoded parameter group. */
export interface J1939Reading {
  pgn: number;
  name: string;
  sa: number;
  da: number;
  tsMs: number;
  values: VehicleValues;
}

export interface J1939Stats {
  frames: number;
  /** Standard (11-bit) frames: not J1939. */
  notJ1939: number;
  decoded: number;
  /** Frames of groups geostream does not decode (counted, ignored). */
  unknown: number;
  /** Groups longer than their definition allows. */
  oversize: number;
  tp: TpStats;
  /** Decoded readings per PGN (which groups this vehicle sends). */
  perPgn: Map<number, number>;
}

/**
 * J1939 frames in, readings out (sans-IO: the frame's timestamp is the only clock). Never
 * transmits: it does not answer requests, address claims or transport sessions.
 */
export class J1939Decoder {
  private readonly tp: TpReassembler;
  readonly stats: J1939Stats;

  constructor(opts: { maxTpSessions?: number } = {}) {
    this.tp = new TpReassembler(opts.maxTpSessions);
    this.stats = { frames: 0, notJ1939: 0, decoded: 0, unknown: 0, oversize: 0, tp: this.tp.stats, perPgn: new Map() };
  }

  push(frame: CanFrame & { tsMs: number }): J1939Reading | null {
    this.stats.frames++;
    if (!frame.ext || frame.rtr) {
      this.stats.notJ1939++;
      return null;
    }
    const id = parseId(frame.id);
    if (id.pgn === PGN.TP_CM || id.pgn === PGN.TP_DT) {
      const m = this.tp.push(id, frame.data, frame.tsMs);
      return m ? this.decode(m.pgn, m.sa, m.da, m.data, m.tsMs) : null;
    }
    return this.decode(id.pgn, id.sa, id.da, frame.data, frame.tsMs);
  }

  /** Transport sessions in progress. */
  get openSessions(): number {
    return this.tp.open;
  }

  /** Drops transport sessions gone quiet (call when no frame came for a while). */
  expire(nowMs: number): void {
    this.tp.expire(nowMs);
  }

  private decode(pgn: number, sa: number, da: number, data: Uint8Array, tsMs: number): J1939Reading | null {
    const spec = PGNS.get(pgn);
    if (!spec) {
      this.stats.unknown++;
      return null;
    }
    if (data.length > spec.maxBytes) {
      this.stats.oversize++;
      return null;
    }
    this.stats.decoded++;
    this.stats.perPgn.set(pgn, (this.stats.perPgn.get(pgn) ?? 0) + 1);
    return { pgn, name: spec.name, sa, da, tsMs, values: spec.decode(data) };
  }
}
