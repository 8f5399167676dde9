import { EventEmitter } from 'node:events';
import type { Config } from './config.js';
import { ConfigError } from '../base/errors.js';
import type { Logger } from '../base/log.js';
import { StatusBoard } from '../base/status-board.js';
import { systemClock, type Clock } from '../base/clock.js';
import type { Uart } from '../hal/uart.js';
import type { Can } from '../hal/can.js';
import { GnssReceiver } from '../gnss/receiver.js';
import { AcquisitionFilter, type TakeReason } from '../gnss/filter.js';
import type { Fix } from '../gnss/fix.js';
import { FIRST_ROLLOVER, RELEASE_DATE } from '../gnss/date.js';
import { uartFor, type SimOverrides } from './gnss-source.js';
import { LinkPipeline, tlsFromConfig } from './pipeline.js';
import { codecBatchPacker, encodeFix, RECORD_SCHEMA } from '../telemetry/record-codec.js';
import { createEngine } from '../quic/engines.js';
import type { QuicEngine } from '../quic/engine.js';
import { VERSION } from '../base/version.js';
import type { VehicleFields } from '../sensors/fields.js';
import { startVehicleIo, type VehicleIo } from './vehicle-io.js';
import { mergeFields, type CanFields } from '../vehicle/record-fields.js';
import { startCanVehicle, type CanVehicle } from './can-source.js';
import { errorMessage } from '../base/errors.js';

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
  /** Sensors, LEDs and ignition from the board (default true; tests of GNSS alone turn it off). */
  vehicleIo?: boolean;
  /** Replace the board's CAN buses (tests, benchmarks); on the sim board no simulated ECU is attached then. */
  can?: Can;
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
 * The agent's one event loop: GNSS receiver -> acquisition filter -> record (with the
 * sensors' latest values) -> codec -> spool -> QUIC link; status LEDs and the ignition
 * input on the same loop.
 */
export class Agent extends EventEmitter<{ record: [Fix, TakeReason] }> {
  readonly status: StatusBoard;
  readonly receiver: GnssReceiver;
  readonly filter: AcquisitionFilter;
  private readonly log: Logger;
  private readonly track: Logger;
  private readonly describe: string;
  private readonly config: Config;
  private readonly clock: Clock;
  private readonly wantVehicleIo: boolean;
  private readonly canOverride: Can | undefined;
  taken = 0;

  constructor(o: AgentOptions) {
    super();
    const { config } = o;
    this.config = config;
    this.wantVehicleIo = o.vehicleIo ?? true;
    this.canOverride = o.can;
    this.clock = o.clock ?? systemClock;
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
    this.track = o.log.child({ component: 'track' });
    this.receiver.on('fix', (fix) => this.offer(fix));
  }

  /**
   * One fix's way through the agent, stage by stage: the acquisition filter takes it or
   * not; a taken fix gets its track line; the pipeline makes the record with the
   * vehicle's latest values and encodes it (`vehicleFields`, `encodeFix`), the spool
   * makes it durable, and the link sends it once committed, until the server acks it.
   */
  private offer(fix: Fix): void {
    const reason = this.filter.offer(fix);
    if (reason === null) return;
    this.taken++;
    this.track.info(describeFix(fix, reason));
    this.emit('record', fix, reason);
    this.pipeline?.take(fix);
  }

  // Link: taken record -> codec -> spool -> QUIC link to the server.
  pipeline: LinkPipeline | null = null;
  /** The vehicle fields each record carries (the sensors block sets it to SensorHub.latest). */
  vehicleFields: (() => VehicleFields & CanFields) | null = null;

  /**
   * Opens the spool and the link to the server the config names (no server: nothing
   * to do). Call before start(). A config error names the file and key.
   */
  async openLink(opts: { engine?: QuicEngine } = {}): Promise<void> {
    const server = this.config.server;
    if (!server || this.pipeline) return;
    const tls = tlsFromConfig(server, this.config.file);
    this.pipeline = await LinkPipeline.open({
      vehicleId: this.config.vehicle.id,
      firmware: VERSION,
      schema: RECORD_SCHEMA,
      spool: { ...this.config.spool },
      link: { engine: opts.engine ?? createEngine(server.engine, { log: this.log.child({ component: 'quic' }) }), server: server.address, serverName: server.serverName, tls },
      encode: (fix, seq) => encodeFix(fix, seq, this.vehicleFields?.()),
      packer: codecBatchPacker,
      clock: this.clock,
      log: this.log,
      status: this.status,
    });
  }

  // Vehicle I/O: sensors, status LEDs, ignition.
  io: VehicleIo | null = null;
  /** The vehicle's CAN bus (J1939 or OBD-II), when the board has one. */
  can: CanVehicle | null = null;

  private startVehicleIo(): void {
    const io = startVehicleIo({ board: this.config.boardInfo, config: this.config, status: this.status, clock: this.clock, log: this.log });
    this.io = io;
    const can = startCanVehicle({ board: this.config.boardInfo, clock: this.clock, log: this.log, status: this.status, simVehicle: io.sim?.vehicle ?? null, can: this.canOverride });
    this.can = can;
    this.vehicleFields = () => mergeFields(io.hub.latest(), can?.fields());
    const ignition = io.ignition;
    if (!ignition) return;
    const apply = (on: boolean): void => {
      this.filter.setIgnition(on);
      can?.setIgnition(on);
      // Key pulled: make what we have durable now; power may be gone in a moment.
      if (!on) {
        this.pipeline?.spool.flush().catch((err: unknown) => this.log.child({ component: 'agent' }).warn(`flush on ignition off: ${errorMessage(err)}`));
      }
    };
    apply(ignition.state);
    ignition.on('ignition', apply);
  }

  start(): void {
    this.log.child({ component: 'agent' }).info(`starting: ${this.describe}`);
    if (this.wantVehicleIo) this.startVehicleIo();
    this.pipeline?.start();
    this.receiver.start();
  }

  async stop(): Promise<void> {
    await this.receiver.stop();
    await this.pipeline?.stop();
    await this.can?.stop();
    await this.io?.stop();
    this.log.child({ component: 'agent' }).info(`stopped (${this.taken} records taken)`);
  }

}
