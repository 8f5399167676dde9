/**
 * The one place that loads the SocketCAN addon (the `socketcan` package's `can.node`, its
 * RawChannel only: the package's JavaScript layer also loads a signal-database addon and an
 * XML parser that geostream does not use). A literal path, so the bundler can point it at
 * the executable's addon table. Loaded on first use: a machine without the addon still runs
 * everything but a real CAN port.
 */
import { createRequire } from 'node:module';

/** A frame as the addon passes it to `onMessage`. */
export interface RawMessage {
  id: number;
  ext?: boolean;
  rtr?: boolean;
  err?: boolean;
  data: Buffer;
  ts_sec?: number;
  ts_usec?: number;
}

/** The addon's RawChannel (native/can.cc of the socketcan package). */
export interface RawChannel {
  addListener(event: 'onMessage', cb: (msg: RawMessage) => void): RawChannel;
  addListener(event: 'onStopped', cb: () => void): RawChannel;
  start(): RawChannel;
  stop(): RawChannel;
  /** Bytes written (16), or -1 when the kernel refused the frame. */
  send(msg: { id: number; ext: boolean; rtr: boolean; data: Buffer }): number;
  setRxFilters(filters: { id: number; mask: number; invert?: boolean }[]): RawChannel;
  setErrorFilters(mask: number): RawChannel;
}

/** new RawChannel(interface, kernel timestamps, protocol (1: CAN_RAW), non-blocking send). */
export type RawChannelCtor = new (iface: string, timestamps: boolean, protocol: number, nonBlockingSend: boolean) => RawChannel;

const require = createRequire(import.meta.url);
let cached: RawChannelCtor | undefined;

export function loadCanAddon(): RawChannelCtor {
  if (cached) return cached;
  let mod: { RawChannel?: RawChannelCtor };
  try {
    mod = require('socketcan/build/Release/can.node') as { RawChannel?: RawChannelCtor };
  } catch (e) {
    throw new Error(`the SocketCAN addon does not load (npm ci builds socketcan's can.node): ${(e as Error).message.split("\n")[0]!}`, { cause: e });
  }
  if (typeof mod.RawChannel !== 'function') throw new Error('the SocketCAN addon has no RawChannel');
  cached = mod.RawChannel;
  return cached;
}
