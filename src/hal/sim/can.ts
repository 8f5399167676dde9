import {
  CanError,
  emptyCanStats,
  frameProblem,
  passesFilters,
  type Can,
  type CanBusState,
  type CanFilter,
  type CanFrame,
  type CanHandlers,
  type CanOpenOptions,
  type CanPort,
  type CanRxFrame,
  type CanStats,
} from '../can.js';

/**
 * Simulated CAN buses, one per name, in memory. A frame written by one port reaches every
 * other open port on the same bus (like SocketCAN's local loopback, without the sender's
 * own copy), in write order, on a later microtask. Simulated ECUs attach with `attach()`.
 * The network is an object the owner creates and passes in: no module-global registry.
 */
export class SimCanNetwork implements Can {
  private readonly buses = new Map<string, Set<SimCanPort>>();

  constructor(private readonly now: () => number = Date.now) {}

  async open(opts: CanOpenOptions, handlers: CanHandlers): Promise<CanPort> {
    return this.openSync(opts, handlers);
  }

  /** Same as open(), for simulated nodes that attach while a board is being built. */
  attach(iface: string, handlers: CanHandlers, transmit = true): SimCanPort {
    return this.openSync({ iface, transmit }, handlers);
  }

  private openSync(opts: CanOpenOptions, handlers: CanHandlers): SimCanPort {
    if (!opts.iface) throw new CanError('nodev', '(none)', 'no interface name');
    let bus = this.buses.get(opts.iface);
    if (!bus) this.buses.set(opts.iface, (bus = new Set()));
    const port = new SimCanPort(opts, handlers, this, bus);
    bus.add(port);
    return port;
  }

  /** @internal Delivers `frame` from `from` to every other open port on its bus. */
  deliver(from: SimCanPort | null, iface: string, frame: CanFrame): void {
    const bus = this.buses.get(iface);
    if (!bus) return;
    const rx: CanRxFrame = { id: frame.id, ext: frame.ext, data: Uint8Array.from(frame.data), tsMs: this.now() };
    if (frame.rtr) rx.rtr = true;
    for (const p of bus) if (p !== from) p.receive(rx);
  }

  /** Puts `frame` on bus `iface` as if a node outside this process sent it. */
  inject(iface: string, frame: CanFrame): void {
    const problem = frameProblem(frame);
    if (problem) throw new CanError('invalid', iface, problem);
    queueMicrotask(() => this.deliver(null, iface, frame));
  }

  /** Announces a controller state on every port of bus `iface` (bus-off, restarted...). */
  raiseState(iface: string, state: CanBusState, detail = state): void {
    for (const p of this.buses.get(iface) ?? []) p.announce(state, detail);
  }

  /** The interface disappears: every port on it dies with `nodev`. */
  unplug(iface: string): void {
    const bus = this.buses.get(iface);
    if (!bus) return;
    this.buses.delete(iface);
    for (const p of bus) p.die(new CanError('nodev', iface, 'interface removed'));
  }

  /** @internal */
  detach(iface: string, port: SimCanPort): void {
    this.buses.get(iface)?.delete(port);
  }
}

export class SimCanPort implements CanPort {
  readonly iface: string;
  readonly transmit: boolean;
  private filters: CanFilter[];
  private open = true;
  private busOff = false;
  private readonly counters: CanStats = emptyCanStats();

  constructor(
    opts: CanOpenOptions,
    private readonly handlers: CanHandlers,
    private readonly net: SimCanNetwork,
    private readonly bus: Set<SimCanPort>,
  ) {
    this.iface = opts.iface;
    this.transmit = opts.transmit ?? false;
    this.filters = [...(opts.filters ?? [])];
  }

  get isOpen(): boolean {
    return this.open;
  }

  setFilters(filters: CanFilter[]): void {
    this.filters = [...filters];
  }

  async write(frame: CanFrame): Promise<void> {
    if (!this.open) throw new CanError('closed', this.iface, 'write on a closed port');
    if (!this.transmit) throw new CanError('listen-only', this.iface, 'port opened listen-only; the board does not allow transmitting');
    const problem = frameProblem(frame);
    if (problem) throw new CanError('invalid', this.iface, problem);
    if (this.busOff) throw new CanError('io', this.iface, 'controller is bus-off');
    this.counters.txFrames++;
    const copy: CanFrame = { id: frame.id, ext: frame.ext, data: Uint8Array.from(frame.data) };
    if (frame.rtr) copy.rtr = true;
    queueMicrotask(() => this.net.deliver(this, this.iface, copy));
  }

  stats(): CanStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    this.bus.delete(this);
    this.net.detach(this.iface, this);
  }

  /** @internal */
  receive(f: CanRxFrame): void {
    if (!this.open || this.busOff || !passesFilters(f, this.filters)) return;
    this.counters.rxFrames++;
    try {
      this.handlers.frame(f);
    } catch {
      this.counters.handlerErrors++;
    }
  }

  /** @internal */
  announce(state: CanBusState, detail: string): void {
    if (!this.open) return;
    this.counters.errorFrames++;
    if (state === 'bus-off') {
      this.counters.busOff++;
      this.busOff = true;
    } else if (state === 'restarted' || state === 'error-active') {
      this.busOff = false;
    }
    try {
      this.handlers.state?.(state, detail);
    } catch {
      this.counters.handlerErrors++;
    }
  }

  /** @internal */
  die(err: CanError): void {
    if (!this.open) return;
    this.open = false;
    try {
      this.handlers.error(err);
    } catch {
      this.counters.handlerErrors++;
    }
  }
}
