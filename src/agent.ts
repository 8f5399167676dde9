import { EventEmitter } from 'node:events';
import type { Config } from './config/config.js';
import { ConfigError } from './errors.js';
import type { Logger } from './log.js';
import { StatusBoard } from './status/board.js';
import { systemClock, type Clock } from './util/clock.js';
import type { Uart } from './hal/uart.js';
import { GnssReceiver } from './gnss/receiver.js';
import { AcquisitionFilter, type TakeReason } from './gnss/filter.js';
import type { Fix } from './gnss/fix.js';
import { FIRST_ROLLOVER, RELEASE_DATE } from './gnss/date.js';
import { uartFor, type SimOverrides } from './gnss/source.js';

export interface AgentOptions {
  config: Config;
  log: Logger;
  clock?: Clock;
  status?: StatusBoard;
  /** Replace the board's UART (tests). */
  uart?: Uart;
  /** Sim board: replay this capture / at this speed instead of the board's settings. */
  sim?: SimOverrides;
  /** Receiver tuning (tests): reopen backoff. */
  reopenMinMs?: number;
  reopenMaxMs?: number;
}

function pivotDate(text: string, file: string): number {
  const t = Date.parse(`${text}T00:00:00Z`);
  if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== text) throw new ConfigError(file, 'gnss.notBefore', `"${text}" is not a calendar date`);
  return t;
}

/** One line per taken record: readable in `journalctl -f`. */
export function describeFix(f: Fix, reason: TakeReason): string {
  const pos = `${f.lat!.toFixed(7)},${f.lon!.toFixed(7)}`;
  const spd = f.speed === null ? '-' : `${(f.speed * 3.6).toFixed(1)} km/h`;
  const crs = f.course === null ? '' : ` ${Math.round(f.course)}°`;
  const alt = f.alt === null ? '' : ` alt ${f.alt} m`;
  return `${new Date(f.timeMs).toISOString()} ${pos} ${spd}${crs}${alt} ${f.mode}D${f.sats === null ? '' : ` ${f.sats} sats`}${f.hdop === null ? '' : ` hdop ${f.hdop}`} [${reason}]`;
}

/**
 * The agent's one event loop. For now: GNSS receiver -> acquisition filter -> one log
 * line per taken record ('record' event). Link and sensors plug in here later.
 */
export class Agent extends EventEmitter<{ record: [Fix, TakeReason] }> {
  readonly status: StatusBoard;
  readonly receiver: GnssReceiver;
  readonly filter: AcquisitionFilter;
  private readonly log: Logger;
  private readonly describe: string;
  taken = 0;

  constructor(o: AgentOptions) {
    super();
    const { config } = o;
    this.status = o.status ?? new StatusBoard();
    this.log = o.log;
    const board = config.boardInfo;
    const src = o.uart ? { uart: o.uart, capture: o.sim?.capture } : uartFor(board, o.sim);
    // A replayed capture is history: resolve its week-rollover like `geostream nmea`;
    // a live receiver cannot be behind this release.
    const notBefore = config.gnss.notBefore !== undefined ? pivotDate(config.gnss.notBefore, config.file) : src.capture ? FIRST_ROLLOVER : RELEASE_DATE;
    this.receiver = new GnssReceiver({
      uart: src.uart,
      path: board.uart.path,
      baudRate: board.uart.baud,
      clock: o.clock ?? systemClock,
      log: o.log,
      status: this.status,
      noDataMs: config.gnss.noDataTimeoutS * 1000,
      notBeforeMs: notBefore,
      reopenMinMs: o.reopenMinMs,
      reopenMaxMs: o.reopenMaxMs,
    });
    this.filter = new AcquisitionFilter(config.sampling);
    const gnssSrc = src.capture ? `replaying ${src.capture}` : board.uart.path === 'sim' || board.simulated ? 'route generator' : `${board.uart.baud} baud`;
    this.describe = `vehicle ${config.vehicle.id}, board ${board.name}, GNSS on ${board.uart.path} (${gnssSrc})`;
    const track = o.log.child({ component: 'track' });
    this.receiver.on('fix', (fix) => {
      const reason = this.filter.offer(fix);
      if (reason === null) return;
      this.taken++;
      track.info(describeFix(fix, reason));
      this.emit('record', fix, reason);
    });
  }

  start(): void {
    this.log.child({ component: 'agent' }).info(`starting: ${this.describe}`);
    this.receiver.start();
  }

  async stop(): Promise<void> {
    await this.receiver.stop();
    this.log.child({ component: 'agent' }).info(`stopped (${this.taken} records taken)`);
  }

}
