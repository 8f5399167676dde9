import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CAN_EFF_MASK,
  CAN_SFF_MASK,
  CanError,
  emptyCanStats,
  frameProblem,
  type Can,
  type CanFilter,
  type CanFrame,
  type CanHandlers,
  type CanOpenOptions,
  type CanPort,
  type CanStats,
} from '../can.js';
import { decodeErrorFrame } from '../can-error.js';
import { loadCanAddon, type RawChannel, type RawChannelCtor, type RawMessage } from './can-addon.js';
import { errorMessage } from '../../base/errors.js';

const CAN_EFF_FLAG = 0x80000000;
const CAN_RAW = 1;
/** ARPHRD_CAN, /sys/class/net/<if>/type of a CAN interface. */
const ARPHRD_CAN = 280;
/** Every error class but CAN_ERR_BUSERROR (one per bad bit: it floods on a noisy bus). */
const ERROR_MASK = 0x1ff & ~0x080;

const HINT = 'for an MCP2515 HAT: dtoverlay=mcp2515-can0 in config.txt; for a test bus: modprobe vcan && ip link add vcan0 type vcan';

/**
 * SocketCAN raw sockets through the `socketcan` addon: kernel receive timestamps
 * (SIOCGSTAMP), kernel filters, error frames turned into state events, non-blocking writes.
 * The interface is checked in sysfs first, so a missing one is named (the addon only says
 * "Error while creating channel").
 */
export class LinuxCan implements Can {
  constructor(
    private readonly sysfsNet = '/sys/class/net',
    private readonly ctor: () => RawChannelCtor = loadCanAddon,
  ) {}

  async open(opts: CanOpenOptions, handlers: CanHandlers): Promise<CanPort> {
    const iface = opts.iface;
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(iface)) throw new CanError('invalid', iface, 'not an interface name (1-15 letters, digits, _ . -)');
    let type: number;
    try {
      type = Number(readFileSync(join(this.sysfsNet, iface, 'type'), 'utf8').trim());
    } catch {
      throw new CanError('nodev', iface, `no such network interface (${HINT})`);
    }
    if (type !== ARPHRD_CAN) throw new CanError('notcan', iface, `interface type ${type} is not CAN (${ARPHRD_CAN})`);
    let Ctor: RawChannelCtor;
    try {
      Ctor = this.ctor();
    } catch (e) {
      throw new CanError('io', iface, errorMessage(e));
    }
    let ch: RawChannel;
    try {
      ch = new Ctor(iface, true, CAN_RAW, true);
    } catch (e) {
      throw new CanError('io', iface, `cannot open a raw CAN socket: ${errorMessage(e)} (kernel module can-raw loaded?)`);
    }
    return new LinuxCanPort(iface, ch, opts, handlers);
  }
}

/** Kernel filter form: the EFF flag in id and mask when the filter names the identifier kind. */
export function kernelFilters(filters: readonly CanFilter[]): { id: number; mask: number; invert?: boolean }[] {
  if (filters.length === 0) return [{ id: 0, mask: 0 }];
  return filters.map((f) => {
    const idMask = (f.ext ? CAN_EFF_MASK : f.ext === false ? CAN_SFF_MASK : CAN_EFF_MASK) & f.mask;
    if (f.ext === undefined) return { id: f.id & idMask, mask: idMask };
    return { id: ((f.id & idMask) | (f.ext ? CAN_EFF_FLAG : 0)) >>> 0, mask: (idMask | CAN_EFF_FLAG) >>> 0 };
  });
}

class LinuxCanPort implements CanPort {
  readonly transmit: boolean;
  private open = true;
  private dead = false;
  private readonly counters: CanStats = emptyCanStats();

  constructor(
    readonly iface: string,
    private readonly ch: RawChannel,
    opts: CanOpenOptions,
    private readonly handlers: CanHandlers,
  ) {
    this.transmit = opts.transmit ?? false;
    ch.setErrorFilters(ERROR_MASK);
    ch.setRxFilters(kernelFilters(opts.filters ?? []));
    ch.addListener('onMessage', (m) => this.onMessage(m));
    ch.addListener('onStopped', () => this.onStopped());
    ch.start();
  }

  get isOpen(): boolean {
    return this.open;
  }

  setFilters(filters: CanFilter[]): void {
    if (this.open) this.ch.setRxFilters(kernelFilters(filters));
  }

  async write(frame: CanFrame): Promise<void> {
    if (!this.open) throw new CanError('closed', this.iface, 'write on a closed port');
    if (!this.transmit) throw new CanError('listen-only', this.iface, 'port opened listen-only; the board does not allow transmitting');
    const problem = frameProblem(frame);
    if (problem) throw new CanError('invalid', this.iface, problem);
    const n = this.ch.send({ id: frame.id, ext: frame.ext, rtr: frame.rtr ?? false, data: Buffer.from(frame.data) });
    if (n < 0) throw new CanError('io', this.iface, 'the kernel refused the frame (interface down, transmit queue full or controller bus-off)');
    this.counters.txFrames++;
  }

  stats(): CanStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    if (this.dead) return;
    // The socket itself is closed when the addon's channel is collected: until then it
    // passes nothing (an inverted match-all filter) and reports no errors.
    try {
      this.ch.setRxFilters([{ id: 0, mask: 0, invert: true }]);
      this.ch.setErrorFilters(0);
      this.ch.stop();
    } catch {
      // already stopped by the addon
    }
  }

  private onMessage(m: RawMessage): void {
    if (!this.open) return;
    try {
      if (m.err) {
        this.counters.errorFrames++;
        const r = decodeErrorFrame(m.id, m.data);
        if (r.state === 'bus-off') this.counters.busOff++;
        if (r.state) this.handlers.state?.(r.state, r.detail);
        return;
      }
      this.counters.rxFrames++;
      const tsMs = m.ts_sec !== undefined ? m.ts_sec * 1000 + (m.ts_usec ?? 0) / 1000 : Date.now();
      const f = { id: m.id, ext: m.ext === true, data: new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.length), tsMs };
      if (m.rtr) this.handlers.frame({ ...f, rtr: true });
      else this.handlers.frame(f);
    } catch {
      // A throwing handler must not reach the addon (it would end the process).
      this.counters.handlerErrors++;
    }
  }

  private onStopped(): void {
    this.dead = true;
    if (!this.open) return;
    this.open = false;
    try {
      this.handlers.error(new CanError('nodev', this.iface, 'the CAN socket stopped (interface removed or socket error)'));
    } catch {
      this.counters.handlerErrors++;
    }
  }
}
