import { readFileSync } from 'node:fs';
import { errorCode, errorMessage } from '../../base/errors.js';
import { UartError, type Uart, type UartHandlers, type UartOpenOptions, type UartPort } from '../uart.js';

/** What drives a simulated line that replays no capture: one epoch of text after another. */
export interface SimLineFeed {
  /** Milliseconds between epochs (at speed 1). */
  readonly period: number;
  /** Time of the next epoch (ms since 1970). */
  readonly nextTimeMs: number;
  /** The next epoch's bytes, as latin1 text. */
  next(): { text: string };
}

export interface SimUartOptions {
  /** A raw receiver capture to replay; without one `feed` drives the line. */
  capture?: string;
  /** Makes the line's feed at first open (gnss/sim: the NMEA route generator). */
  feed?: (start: { rateHz: number; startMs: number }) => SimLineFeed;
  /** Replay/generation speed factor (10 = ten times faster than real time). */
  speed?: number;
  /** Generator epochs per second (1-10). */
  rateHz?: number;
  /** GNSS time of the generator's first epoch (default: the wall clock at open). */
  startMs?: number;
}

const TIMED = /^\$[A-Z]{2}(?:GGA|RMC|GLL|GNS|ZDA),(\d{2})(\d{2})(\d{2})(?:\.(\d{1,3}))?/;
const DAY = 86_400_000;
/** How long after its epoch the simulated receiver reports it (real receivers: tens of ms). */
const OUTPUT_DELAY_MS = 50;
/** Longest pause a replay keeps (a capture's power-off gaps would stall a demo for hours). */
const MAX_GAP_MS = 10 * 60_000;

/** A capture cut into bursts, each with its delay after the previous burst (real time). */
export function replaySchedule(bytes: Buffer): { delayMs: number; chunk: Buffer }[] {
  const out: { delayMs: number; chunk: Buffer }[] = [];
  let start = 0;
  let tod: number | null = null;
  let burstStart = 0;
  let pendingDelay = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    end = end < 0 ? bytes.length : end + 1;
    const m = TIMED.exec(bytes.toString('latin1', start, Math.min(end, start + 24)));
    if (m) {
      const t = ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number((m[4] ?? '0').padEnd(3, '0'));
      if (tod !== null && t !== tod) {
        if (start > burstStart) out.push({ delayMs: pendingDelay, chunk: bytes.subarray(burstStart, start) });
        burstStart = start;
        let d = (t - tod + DAY) % DAY;
        if (d > MAX_GAP_MS) d = MAX_GAP_MS;
        pendingDelay = d;
      }
      tod = t;
    }
    start = end;
  }
  if (bytes.length > burstStart) out.push({ delayMs: pendingDelay, chunk: bytes.subarray(burstStart) });
  return out;
}

class SimPort implements UartPort {
  private timer: NodeJS.Timeout | undefined;
  private open = true;
  constructor(
    readonly path: string,
    private readonly handlers: UartHandlers,
  ) {}
  get isOpen(): boolean {
    return this.open;
  }
  /** Runs `next` after delayMs; next returns the following delay, or null to stop. */
  schedule(delayMs: number, next: () => number | null): void {
    if (!this.open) return;
    this.timer = setTimeout(() => {
      if (!this.open) return;
      const d = next();
      if (d !== null) this.schedule(d, next);
    }, delayMs);
  }
  deliver(chunk: Buffer): void {
    if (this.open) this.handlers.data(chunk);
  }
  write(): Promise<void> {
    // The simulated receiver accepts and ignores configuration commands.
    return this.open ? Promise.resolve() : Promise.reject(new UartError('port is closed', this.path, 'ECANCELED', true));
  }
  close(): Promise<void> {
    this.open = false;
    clearTimeout(this.timer);
    return Promise.resolve();
  }
}

/**
 * The simulated board's UART: replays a capture with its real timing (from the
 * sentences' own UTC times) or `speed` times faster, or, with no capture, streams its
 * feed (the NMEA route generator, given by gnss/sim/uart.ts). The simulated receiver
 * outlives its port: a reopen continues the replay or the drive where it was, and a
 * finished replay stays silent (like an unplugged receiver) instead of starting over
 * with time running backwards.
 */
export class SimUart implements Uart {
  private bursts: { delayMs: number; chunk: Buffer }[] | undefined;
  private next = 0;
  private gen: SimLineFeed | undefined;

  constructor(private readonly opts: SimUartOptions) {
    if (opts.capture === undefined && opts.feed === undefined) throw new TypeError('SimUart needs a capture to replay or a feed');
  }

  list(): Promise<{ path: string }[]> {
    return Promise.resolve([{ path: 'sim' }]);
  }

  open(o: UartOpenOptions, handlers: UartHandlers): Promise<UartPort> {
    const speed = this.opts.speed ?? 1;
    const port = new SimPort(o.path, handlers);
    if (this.opts.capture !== undefined) {
      if (this.bursts === undefined) {
        try {
          this.bursts = replaySchedule(readFileSync(this.opts.capture));
        } catch (err) {
          return Promise.reject(new UartError(`cannot read capture ${this.opts.capture}: ${errorMessage(err)}`, o.path, errorCode(err)));
        }
      }
      const bursts = this.bursts;
      const step = (): number | null => {
        port.deliver(bursts[this.next]!.chunk);
        this.next++;
        return this.next < bursts.length ? bursts[this.next]!.delayMs / speed : null;
      };
      if (this.next < bursts.length) port.schedule(0, step);
    } else {
      // The simulated receiver's satellites give it the host's time once, at first open.
      // In real time (no startMs, speed 1) it then behaves like a receiver locked to GNSS
      // time: each epoch's report leaves OUTPUT_DELAY_MS after the epoch itself, so a
      // fix's time says when it was measured, and timers cannot make it drift.
      const live = this.opts.startMs === undefined && speed === 1;
      const rateHz = this.opts.rateHz ?? 1;
      this.gen ??= this.opts.feed!({ rateHz, startMs: this.opts.startMs ?? Math.ceil(Date.now() / (1000 / rateHz)) * (1000 / rateHz) });
      const gen = this.gen;
      const untilNext = (): number => {
        if (!live) return gen.period / speed;
        // Epochs that passed while the port was closed (or the loop stalled) were never heard.
        while (gen.nextTimeMs + OUTPUT_DELAY_MS + gen.period < Date.now()) gen.next();
        return Math.max(0, gen.nextTimeMs + OUTPUT_DELAY_MS - Date.now());
      };
      const step = (): number => {
        port.deliver(Buffer.from(gen.next().text, 'latin1'));
        return untilNext();
      };
      port.schedule(live ? untilNext() : 0, step);
    }
    return Promise.resolve(port);
  }
}
