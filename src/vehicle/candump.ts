import type { CanRxFrame } from '../hal/can.js';
import { J1939Decoder } from './j1939/decoder.js';
import { IsoTpReceiver } from './obd/isotp.js';
import { decodeMode01, decodeMode03, decodeVin } from './obd/pids.js';
import { OBD_RESPONSE_FIRST, OBD_RESPONSE_LAST } from './obd/poller.js';
import type { VehicleValues } from './values.js';

/** One line of a `candump -L` log: `(1700000000.123456) can0 18FEF100#FF00...`. */
export interface LogFrame {
  iface: string;
  frame: CanRxFrame;
}

const LINE = /^\((\d{1,12})\.(\d{1,9})\)\s+(\S{1,15})\s+([0-9A-Fa-f]{3}|[0-9A-Fa-f]{8})#(R|[0-9A-Fa-f]{0,16})\s*$/;

/** Parses one log line; a string says what is wrong with it. */
export function parseCandumpLine(line: string): LogFrame | string {
  const m = LINE.exec(line.trim());
  if (!m) return 'not a candump -L line "(seconds.micros) iface ID#DATA" (classic CAN)';
  const [, sec, frac, iface, idText, dataText] = m as unknown as [string, string, string, string, string, string];
  const ext = idText.length === 8;
  const id = parseInt(idText, 16);
  if (ext && id > 0x1fffffff) return `identifier ${idText} is over 29 bits`;
  if (!ext && id > 0x7ff) return `identifier ${idText} is over 11 bits`;
  if (dataText !== 'R' && dataText.length % 2) return 'odd number of data digits';
  const tsMs = Number(sec) * 1000 + Number(`0.${frac}`) * 1000;
  const data = dataText === 'R' ? new Uint8Array(0) : Uint8Array.from(Buffer.from(dataText, 'hex'));
  const frame: CanRxFrame = { id, ext, data, tsMs };
  if (dataText === 'R') frame.rtr = true;
  return { iface, frame };
}

export interface LogReading {
  tsMs: number;
  iface: string;
  /** J1939: the PGN's name; OBD-II: "01 0C", "03", "09 02". */
  what: string;
  pgn?: number;
  sa?: number;
  ecu?: number;
  values: VehicleValues;
}

/**
 * Decodes logged frames into readings: J1939 groups (with the transport protocol), and
 * OBD-II answers (0x7E8-0x7EF, ISO-TP reassembled) of mode 01, 03 and 09.
 */
export class LogDecoder {
  private readonly j1939 = new J1939Decoder();
  private readonly obd = new Map<number, IsoTpReceiver>();

  push(l: LogFrame): LogReading | null {
    const f = l.frame;
    if (f.ext) {
      const r = this.j1939.push(f);
      return r ? { tsMs: r.tsMs, iface: l.iface, what: r.name, pgn: r.pgn, sa: r.sa, values: r.values } : null;
    }
    if (f.id < OBD_RESPONSE_FIRST || f.id > OBD_RESPONSE_LAST) return null;
    let rx = this.obd.get(f.id);
    if (!rx) this.obd.set(f.id, (rx = new IsoTpReceiver()));
    const m = rx.push(f.data, f.tsMs);
    if (m.kind !== 'message') return null;
    const p = m.payload;
    const base = { tsMs: f.tsMs, iface: l.iface, ecu: f.id };
    const m01 = decodeMode01(p);
    if (m01?.values) return { ...base, what: `01 ${hex(m01.pid)}`, values: m01.values };
    const dtcs = decodeMode03(p);
    if (dtcs) return { ...base, what: '03', values: { dtcs } };
    const vin = decodeVin(p);
    if (vin) return { ...base, what: '09 02', values: { vin } };
    return null;
  }

  get stats() {
    return this.j1939.stats;
  }
}

const hex = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0');
