/**
 * A CAN bus as the vehicle code sees it: one named interface (`can0`, `vcan0`, or a
 * simulated bus), classic CAN frames (0-8 data bytes) with receive timestamps, filters,
 * writes and the controller's error state. Implementations: `linux/can.ts` (SocketCAN raw
 * socket through the `socketcan` addon) and `sim/can.ts` (an in-memory bus).
 *
 * Error contract:
 * - `open()` rejects with a CanError: `nodev` (no such interface: overlay or module
 *   missing), `notcan` (the interface exists but is not CAN), `io` (socket refused).
 *   Nothing is open then.
 * - Controller trouble (error-warning, error-passive, bus-off, restart) is reported to
 *   `handlers.state` from the kernel's error frames; the port stays open (the kernel
 *   restarts the controller after bus-off when `restart-ms` is set) and frames resume.
 *   An interface going down and up again is survived the same way.
 * - `handlers.error` is called at most once, when the interface is gone (unregistered)
 *   or the socket broke. The port is dead then; the owner opens a new one (with backoff).
 * - `write()` rejects with CanError `listen-only` when the port was opened without
 *   `transmit` (the default: never transmit on a vehicle's bus unless the board says so),
 *   `io` when the kernel refused the frame (interface down, tx queue full, bus-off) and
 *   `closed` after close. `close()` is idempotent and never rejects; after it resolves no
 *   handler is called again.
 * - An exception thrown by a handler is caught and counted, never lost into the addon.
 */

/** A classic CAN frame. */
export interface CanFrame {
  /** 11-bit (standard) or 29-bit (extended) identifier, without flag bits. */
  id: number;
  /** 29-bit identifier. */
  ext: boolean;
  /** Remote transmission request (no data). */
  rtr?: boolean;
  /** 0 to 8 bytes. */
  data: Uint8Array;
}

/** A received frame with its timestamp (kernel receive time on SocketCAN), in ms since the epoch. */
export interface CanRxFrame extends CanFrame {
  tsMs: number;
}

/**
 * Receive filter, kernel semantics: a frame passes when `(frame.id & mask) === (id & mask)`
 * and, when `ext` is given, the identifier kind matches. No filter: every frame passes.
 */
export interface CanFilter {
  id: number;
  mask: number;
  ext?: boolean;
}

/** Controller state, from error frames (linux/can/error.h) or the simulated bus. */
export type CanBusState = 'error-active' | 'error-warning' | 'error-passive' | 'bus-off' | 'restarted';

export interface CanOpenOptions {
  /** Interface name (`can0`, `vcan0`), or the simulated board's bus name. */
  iface: string;
  /** Receive filters (empty or absent: all frames). */
  filters?: CanFilter[];
  /** Allow writes. Default false: listen-only. */
  transmit?: boolean;
}

export interface CanHandlers {
  frame(f: CanRxFrame): void;
  /** Controller state changed, or a protocol/bus error was seen (`detail` says which). */
  state?(state: CanBusState, detail: string): void;
  /** The port died; see the error contract above. */
  error(err: CanError): void;
}

export interface CanStats {
  rxFrames: number;
  txFrames: number;
  errorFrames: number;
  busOff: number;
  /** Frames dropped because a handler threw. */
  handlerErrors: number;
}

export interface CanPort {
  readonly iface: string;
  readonly isOpen: boolean;
  readonly transmit: boolean;
  /** Replaces the receive filters (empty: all frames). */
  setFilters(filters: CanFilter[]): void;
  write(frame: CanFrame): Promise<void>;
  stats(): CanStats;
  close(): Promise<void>;
}

export interface Can {
  open(opts: CanOpenOptions, handlers: CanHandlers): Promise<CanPort>;
}

export type CanErrorKind = 'nodev' | 'notcan' | 'io' | 'listen-only' | 'closed' | 'invalid';

export class CanError extends Error {
  override name = 'CanError';
  constructor(
    readonly kind: CanErrorKind,
    readonly iface: string,
    detail: string,
  ) {
    super(`${iface}: ${kind}: ${detail}`);
  }
}

export const CAN_SFF_MASK = 0x7ff;
export const CAN_EFF_MASK = 0x1fffffff;

/** Why `frame` cannot go on the bus, or null when it is a valid classic CAN frame. */
export function frameProblem(frame: CanFrame): string | null {
  const max = frame.ext ? CAN_EFF_MASK : CAN_SFF_MASK;
  if (!Number.isInteger(frame.id) || frame.id < 0 || frame.id > max) return `identifier ${frame.id} out of range 0..0x${max.toString(16)}`;
  if (!(frame.data instanceof Uint8Array)) return 'data is not a byte array';
  if (frame.data.length > 8) return `${frame.data.length} data bytes (classic CAN carries at most 8)`;
  return null;
}

/** Kernel filter semantics, as documented for CAN_RAW_FILTER. */
export function passesFilters(frame: CanFrame, filters: readonly CanFilter[]): boolean {
  if (filters.length === 0) return true;
  for (const f of filters) {
    if (f.ext !== undefined && f.ext !== frame.ext) continue;
    if (((frame.id ^ f.id) & f.mask) === 0) return true;
  }
  return false;
}

export function emptyCanStats(): CanStats {
  return { rxFrames: 0, txFrames: 0, errorFrames: 0, busOff: 0, handlerErrors: 0 };
}

/** `candump` style text of a frame: `18FEF100#FF00...`. */
export function formatFrame(f: CanFrame): string {
  const id = f.id.toString(16).toUpperCase().padStart(f.ext ? 8 : 3, '0');
  if (f.rtr) return `${id}#R`;
  return `${id}#${Buffer.from(f.data).toString('hex').toUpperCase()}`;
}
