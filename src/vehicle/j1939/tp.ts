import { GLOBAL, type J1939Id } from './id.js';
import { PGN, TP_MAX_BYTES } from './pgns.js';

/** A message of more than 8 bytes, reassembled from the transport protocol. */
export interface TpMessage {
  pgn: number;
  sa: number;
  da: number;
  data: Uint8Array;
  tsMs: number;
}

export interface TpStats {
  completed: number;
  /** Sessions dropped: aborted, replaced, timed out, evicted or ended before all packets came. */
  dropped: number;
  /** Connection-management or data frames that made no sense (bad size, unknown session). */
  bad: number;
}

const CM = { RTS: 16, CTS: 17, EOMA: 19, BAM: 32, ABORT: 255 } as const;

/** J1939-21 timeouts a listener applies: T1 (BAM and CMDT packet gap), T2 (after a CTS). */
const BAM_GAP_MS = 750;
const CMDT_GAP_MS = 1250;

interface Session {
  pgn: number;
  sa: number;
  da: number;
  bam: boolean;
  size: number;
  packets: number;
  got: Uint8Array;
  received: number;
  data: Uint8Array;
  lastMs: number;
}

/**
 * Listen-only reassembly of J1939-21 transport sessions: TP.BAM (broadcast) and TP.CM
 * RTS/CTS (connection mode, between two other nodes). One session per sender and
 * destination, so senders may interleave. Never transmits: CTS and acknowledgements are
 * the receiving node's business; this only watches them. Memory is bounded: at most
 * `maxSessions` sessions of at most 1785 bytes, each allocated after its announcement
 * passed the size checks.
 */
export class TpReassembler {
  private readonly sessions = new Map<number, Session>();
  readonly stats: TpStats = { completed: 0, dropped: 0, bad: 0 };

  constructor(private readonly maxSessions = 32) {}

  /** Feeds one TP.CM or TP.DT frame; returns the message it completes, if any. */
  push(id: J1939Id, d: Uint8Array, tsMs: number): TpMessage | null {
    this.expire(tsMs);
    if (id.pgn === PGN.TP_CM) {
      this.onCm(id, d, tsMs);
      return null;
    }
    if (id.pgn === PGN.TP_DT) return this.onDt(id, d, tsMs);
    return null;
  }

  /** Drops sessions whose sender went quiet for longer than the standard allows. */
  expire(nowMs: number): void {
    for (const [k, s] of this.sessions) {
      if (nowMs - s.lastMs > (s.bam ? BAM_GAP_MS : CMDT_GAP_MS)) this.drop(k);
    }
  }

  get open(): number {
    return this.sessions.size;
  }

  private onCm(id: J1939Id, d: Uint8Array, tsMs: number): void {
    if (d.length < 8) {
      this.stats.bad++;
      return;
    }
    const pgn = d[5]! | (d[6]! << 8) | ((d[7]! & 0x03) << 16);
    switch (d[0]) {
      case CM.BAM:
      case CM.RTS: {
        const bam = d[0] === CM.BAM;
        if (bam !== (id.da === GLOBAL)) {
          this.stats.bad++;
          return;
        }
        const size = d[1]! | (d[2]! << 8);
        const packets = d[3]!;
        if (size < 9 || size > TP_MAX_BYTES || packets !== Math.ceil(size / 7)) {
          this.stats.bad++;
          return;
        }
        const k = key(id.sa, id.da);
        if (this.sessions.has(k)) this.drop(k);
        if (this.sessions.size >= this.maxSessions) this.evictOldest();
        this.sessions.set(k, { pgn, sa: id.sa, da: id.da, bam, size, packets, got: new Uint8Array(packets), received: 0, data: new Uint8Array(packets * 7), lastMs: tsMs });
        return;
      }
      case CM.CTS: {
        // From the receiver back to the sender: the sender's session is still alive.
        const s = this.sessions.get(key(id.da, id.sa));
        if (s && !s.bam) s.lastMs = tsMs;
        return;
      }
      case CM.EOMA:
      case CM.ABORT: {
        // The receiver's acknowledgement or either side's abort: anything still open between
        // these two nodes for that PGN is finished without us having every packet.
        for (const k of [key(id.sa, id.da), key(id.da, id.sa)]) {
          const s = this.sessions.get(k);
          if (s && !s.bam && s.pgn === pgn) this.drop(k);
        }
        return;
      }
      default:
        this.stats.bad++;
    }
  }

  private onDt(id: J1939Id, d: Uint8Array, tsMs: number): TpMessage | null {
    const k = key(id.sa, id.da);
    const s = this.sessions.get(k);
    const seq = d[0];
    if (!s || d.length < 2 || seq === undefined || seq < 1 || seq > s.packets) {
      this.stats.bad++;
      return null;
    }
    s.lastMs = tsMs;
    if (!s.got[seq - 1]) {
      s.got[seq - 1] = 1;
      s.received++;
    }
    s.data.set(d.subarray(1, 8), (seq - 1) * 7);
    if (s.received < s.packets) return null;
    this.sessions.delete(k);
    this.stats.completed++;
    return { pgn: s.pgn, sa: s.sa, da: s.da, data: s.data.subarray(0, s.size), tsMs };
  }

  private drop(k: number): void {
    if (this.sessions.delete(k)) this.stats.dropped++;
  }

  private evictOldest(): void {
    let oldest: number | undefined;
    let at = Infinity;
    for (const [k, s] of this.sessions) if (s.lastMs < at) [oldest, at] = [k, s.lastMs];
    if (oldest !== undefined) this.drop(oldest);
  }
}

const key = (sa: number, da: number): number => (sa << 8) | da;
