import { EventEmitter } from 'node:events';
import type { Logger } from '../base/log.js';
import { StateLog } from '../base/log.js';
import type { StatusBoard, GnssState } from '../base/status-board.js';
import type { Clock } from '../base/clock.js';
import type { Uart, UartError, UartPort } from '../hal/uart.js';
import { NmeaDecoder } from './decoder.js';
import { fixToJson, type Fix } from './fix.js';
import { GnssHealth } from './health.js';

export interface ReceiverOptions {
  uart: Uart;
  path: string;
  baudRate: number;
  clock: Clock;
  log: Logger;
  status?: StatusBoard;
  /** Silence after which the receiver counts as gone (and the port is reopened). */
  noDataMs: number;
  /** GPS week-rollover pivot (see date.ts). */
  notBeforeMs: number;
  /** Close the open epoch after this much line silence (default 150 ms). */
  idleFlushMs?: number;
  /** Reopen backoff: first delay and cap (default 1 s, 30 s). */
  reopenMinMs?: number;
  reopenMaxMs?: number;
}

/** Logged once per change: a dead receiver retried every 30 s logs one line, not one per retry. */
type PortState = 'receiving' | 'failed' | 'silent' | 'closed';

/**
 * The receiver on its UART: owns the port (open, reopen with backoff on error or
 * silence), feeds the NMEA decoder, publishes health. Emits 'fix' (Fix) for every dated
 * epoch (mode 1 without position) and 'state' (GnssState) on health changes.
 */
export class GnssReceiver extends EventEmitter<{ fix: [Fix]; state: [GnssState] }> {
  readonly decoder: NmeaDecoder;
  private readonly health: GnssHealth;
  private readonly portLog: StateLog<PortState>;
  private readonly healthLog: StateLog<GnssState>;
  private readonly log: Logger;
  private port: UartPort | undefined;
  private openedAt = 0;
  private attempts = 0;
  private stopped = true;
  private idleTimer: NodeJS.Timeout | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private reopenTimer: NodeJS.Timeout | undefined;
  private generation = 0;
  private lastFix: Fix | undefined;
  private readonly emitFix = (fix: Fix): void => {
    this.health.epoch(fix, this.o.clock.now());
    if (fix.mode >= 2) this.lastFix = fix;
    this.tick();
    this.o.status?.setDetail('gnss', this.details());
    this.emit('fix', fix);
  };

  constructor(private readonly o: ReceiverOptions) {
    super();
    this.decoder = new NmeaDecoder(o.notBeforeMs);
    this.health = new GnssHealth(o.noDataMs);
    const log = o.log.child({ component: 'gnss' });
    this.log = log;
    this.portLog = new StateLog(log, `port ${o.path}`);
    this.healthLog = new StateLog(log, 'receiver');
  }

  /** Counters and the last fix, for `geostream status` (StatusBoard details). */
  details(): Record<string, unknown> {
    const s = this.decoder.stats;
    return {
      port: this.portLog.state ?? 'opening',
      lastFix: this.lastFix ? fixToJson(this.lastFix) : null,
      sentences: this.decoder.lines,
      badChecksum: s.badChecksum + s.noChecksum,
      malformed: s.malformed + s.truncated + s.overlong,
      unknown: s.unknown + s.proprietary,
      epochs: s.epochs,
      fixes: s.fixes,
    };
  }

  get state(): GnssState {
    return this.health.state(this.o.clock.now());
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.publish('no-data');
    this.tickTimer = setInterval(() => this.tick(), 250);
    this.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.tickTimer);
    clearTimeout(this.idleTimer);
    clearTimeout(this.reopenTimer);
    this.decoder.end(this.emitFix);
    await this.closePort();
    this.portLog.set('closed');
  }

  private open(): void {
    if (this.stopped) return;
    const gen = ++this.generation;
    this.o.uart
      .open(
        { path: this.o.path, baudRate: this.o.baudRate },
        {
          data: (chunk) => {
            if (gen === this.generation) this.onData(chunk);
          },
          error: (err) => {
            if (gen === this.generation) this.onPortError(err);
          },
        },
      )
      .then(
        (port) => {
          if (gen !== this.generation || this.stopped) {
            void port.close();
            return;
          }
          this.port = port;
          this.openedAt = this.o.clock.now();
          this.log.debug(`port ${this.o.path} open at ${this.o.baudRate} baud`);
        },
        (err: UartError) => {
          if (gen === this.generation) this.onPortError(err);
        },
      );
  }

  private onData(chunk: Buffer): void {
    const before = this.decoder.goodFrames;
    this.decoder.push(chunk, this.emitFix);
    if (this.decoder.goodFrames !== before) {
      this.health.data(this.o.clock.now());
      this.attempts = 0;
      this.portLog.set('receiving', `${this.o.baudRate} baud`);
      this.tick();
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.decoder.flush(this.emitFix), this.o.idleFlushMs ?? 150);
  }

  private onPortError(err: UartError): void {
    this.portLog.set('failed', err.message, 'warn');
    void this.restart();
  }

  /** Closes the port and opens it again after the backoff delay. */
  private async restart(): Promise<void> {
    this.generation++;
    this.decoder.end(this.emitFix);
    await this.closePort();
    if (this.stopped) return;
    const min = this.o.reopenMinMs ?? 1000;
    const delay = Math.min(this.o.reopenMaxMs ?? 30_000, min * 2 ** Math.min(this.attempts, 16));
    this.attempts++;
    clearTimeout(this.reopenTimer);
    this.reopenTimer = setTimeout(() => this.open(), delay);
  }

  private async closePort(): Promise<void> {
    const p = this.port;
    this.port = undefined;
    if (p) await p.close();
  }

  private tick(): void {
    if (this.stopped) return;
    const now = this.o.clock.now();
    const s = this.health.state(now);
    this.publish(s);
    // Silence on an open port: the device may be gone without any error (unplugged
    // USB, a pty whose peer died); reopen it, as its path may now lead to a new device.
    if (this.port && s === 'no-data' && now - this.openedAt >= this.o.noDataMs && this.health.silenceMs(now) >= this.o.noDataMs) {
      this.portLog.set('silent', `no data for ${Math.round(this.o.noDataMs / 1000)} s, reopening`, 'warn');
      void this.restart();
    }
  }

  private publish(s: GnssState): void {
    const detail = s === 'no-data' ? `nothing valid for ${Math.round(this.o.noDataMs / 1000)} s` : undefined;
    if (this.healthLog.set(s, this.healthLog.state === undefined ? undefined : detail, s === 'no-data' && this.healthLog.state !== undefined ? 'warn' : 'info')) {
      this.o.status?.setDetail('gnss', this.details());
      this.o.status?.setGnss(s);
      this.emit('state', s);
    }
  }
}
