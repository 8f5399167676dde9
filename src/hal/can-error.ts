import type { CanBusState } from './can.js';

/** Error class bits in an error frame's identifier (linux/can/error.h). */
const ERR = {
  txTimeout: 0x001,
  lostArbitration: 0x002,
  controller: 0x004,
  protocol: 0x008,
  transceiver: 0x010,
  noAck: 0x020,
  busOff: 0x040,
  busError: 0x080,
  restarted: 0x100,
  counters: 0x200,
} as const;

/** data[1] of a controller-problem error frame. */
const CRTL = { rxOverflow: 0x01, txOverflow: 0x02, rxWarning: 0x04, txWarning: 0x08, rxPassive: 0x10, txPassive: 0x20, active: 0x40 } as const;

export interface CanErrorReport {
  /** The controller state this frame announces, if it announces one. */
  state?: CanBusState;
  /** What the frame says, e.g. "bus-off", "controller: rx-warning, rx-overflow", "no-ack". */
  detail: string;
  /** Error counters (data[6], data[7]) when the frame carries them. */
  txErrors?: number;
  rxErrors?: number;
}

/**
 * Reads a SocketCAN error frame: `classBits` is its identifier without CAN_ERR_FLAG (error
 * frames are standard frames, so the addon's 11-bit mask keeps every class bit up to
 * CAN_ERR_CNT), `data` its 8 bytes.
 */
export function decodeErrorFrame(classBits: number, data: Uint8Array): CanErrorReport {
  const parts: string[] = [];
  let state: CanBusState | undefined;
  if (classBits & ERR.busOff) {
    state = 'bus-off';
    parts.push('bus-off');
  }
  if (classBits & ERR.restarted) {
    state ??= 'restarted';
    parts.push('restarted');
  }
  if (classBits & ERR.controller) {
    const c = data[1] ?? 0;
    const bits: string[] = [];
    if (c & CRTL.rxOverflow) bits.push('rx-overflow');
    if (c & CRTL.txOverflow) bits.push('tx-overflow');
    if (c & CRTL.rxWarning) bits.push('rx-warning');
    if (c & CRTL.txWarning) bits.push('tx-warning');
    if (c & CRTL.rxPassive) bits.push('rx-passive');
    if (c & CRTL.txPassive) bits.push('tx-passive');
    if (c & CRTL.active) bits.push('active');
    if (!state) {
      if (c & (CRTL.rxPassive | CRTL.txPassive)) state = 'error-passive';
      else if (c & (CRTL.rxWarning | CRTL.txWarning)) state = 'error-warning';
      else if (c & CRTL.active) state = 'error-active';
    }
    parts.push(`controller: ${bits.length ? bits.join(', ') : 'unspecified'}`);
  }
  if (classBits & ERR.protocol) parts.push(`protocol violation 0x${(data[2] ?? 0).toString(16).padStart(2, '0')} at 0x${(data[3] ?? 0).toString(16).padStart(2, '0')}`);
  if (classBits & ERR.transceiver) parts.push('transceiver');
  if (classBits & ERR.noAck) parts.push('no-ack');
  if (classBits & ERR.lostArbitration) parts.push('lost-arbitration');
  if (classBits & ERR.txTimeout) parts.push('tx-timeout');
  if (classBits & ERR.busError) parts.push('bus-error');
  const report: CanErrorReport = { detail: parts.length ? parts.join('; ') : `error frame 0x${classBits.toString(16)}` };
  if (state) report.state = state;
  if (classBits & ERR.counters && data.length >= 8) {
    report.txErrors = data[6]!;
    report.rxErrors = data[7]!;
  }
  return report;
}
