import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, dirname } from 'node:path';
import type { Config } from './config.js';
import { ConfigError } from '../base/errors.js';
import type { Fix } from '../gnss/fix.js';
import type { Logger } from '../base/log.js';
import { Spool, type SpoolOptions } from '../spool/index.js';
import type { StatusBoard } from '../base/status-board.js';
import type { Clock } from '../base/clock.js';
import type { RecordPacker } from '../protocol/packing.js';
import { DeviceLink } from '../link/device.js';
import type { QuicEngine } from '../quic/engine.js';
import type { TlsMaterial } from '../tls/material.js';

/** Encodes one taken fix as the record stored under `seq` (the codec's job). */
export type RecordEncoder = (fix: Fix, seq: number) => Uint8Array;

export interface PipelineOptions {
  vehicleId: string;
  firmware: string;
  schema: number;
  spool: SpoolOptions;
  /** Null: spool only (no server configured). */
  link: { engine: QuicEngine; server: string; serverName?: string; tls: TlsMaterial } | null;
  encode: RecordEncoder;
  packer?: RecordPacker;
  clock: Clock;
  log: Logger;
  status: StatusBoard;
}

export interface PipelineCounters {
  /** fixes handed in */
  taken: number;
  /** appended to the spool */
  spooled: number;
  /** fixes the encoder refused (reported, never stored) */
  encodeErrors: number;
  /** appends the spool refused (its fault is on the StatusBoard) */
  spoolErrors: number;
}

/**
 * Taken fix -> record -> spool -> link. The spool keeps every record until the
 * server acks it; the link sends what the spool has committed (notified on each
 * group commit). Nothing here blocks the event loop on the network.
 */
export class LinkPipeline {
  readonly counters: PipelineCounters = { taken: 0, spooled: 0, encodeErrors: 0, spoolErrors: 0 };
  private readonly onCommit = () => this.link?.notify();

  private constructor(
    readonly spool: Spool,
    readonly link: DeviceLink | null,
    private readonly o: PipelineOptions,
  ) {
    spool.on('commit', this.onCommit);
  }

  static async open(o: PipelineOptions): Promise<LinkPipeline> {
    const spool = await Spool.open({ ...o.spool, clock: o.clock, log: o.log.child({ component: 'spool' }), status: o.status });
    const link = o.link
      ? new DeviceLink({
          engine: o.link.engine,
          spool,
          server: o.link.server,
          serverName: o.link.serverName,
          tls: o.link.tls,
          clock: o.clock,
          log: o.log.child({ component: 'link' }),
          status: o.status,
          device: o.vehicleId,
          firmware: o.firmware,
          schema: o.schema,
          packer: o.packer,
        })
      : null;
    return new LinkPipeline(spool, link, o);
  }

  start(): void {
    this.link?.start();
  }

  /** Records in the spool the server has not acked (the spool counts them and publishes the count). */
  get backlog(): number {
    return this.spool.backlog;
  }

  /** Encodes and spools one taken fix; returns its seq, or null if it could not be stored (reported). */
  take(fix: Fix): number | null {
    this.counters.taken++;
    const seq = this.spool.nextSeq;
    let payload: Uint8Array;
    try {
      payload = this.o.encode(fix, seq);
    } catch (err) {
      this.counters.encodeErrors++;
      this.o.log.warn(`record not encoded (fix at ${new Date(fix.timeMs).toISOString()}): ${(err as Error).message}`);
      return null;
    }
    try {
      const got = this.spool.append(payload, fix.timeMs);
      this.counters.spooled++;
      return got;
    } catch (err) {
      this.counters.spoolErrors++;
      this.o.log.warn(`record not spooled: ${(err as Error).message}`);
      return null;
    }
  }

  /**
   * Commits the spool (ignition off, SIGTERM), gives the link up to `drainMs` to get
   * the last records acked if it is online, closes the link, closes the spool.
   * What is not acked stays in the spool for the next start.
   */
  async stop(drainMs = 2000): Promise<void> {
    await this.spool.flush().catch((err: unknown) => this.o.log.error(`spool flush failed: ${(err as Error).message}`));
    if (this.link && this.link.state === 'online') {
      this.link.notify();
      const end = this.o.clock.now() + drainMs;
      while (this.spool.ackedSeq < this.spool.committedSeq && this.link.state === 'online' && this.o.clock.now() < end) await new Promise((r) => setTimeout(r, 20));
    }
    await this.link?.stop();
    this.spool.off('commit', this.onCommit);
    await this.spool.close();
  }
}

/** Reads the TLS files a config names; errors name the file and key. Refuses a key others can read. */
export function tlsFromConfig(server: NonNullable<Config['server']>, configFile: string): TlsMaterial {
  const base = dirname(configFile);
  const read = (key: 'ca' | 'cert' | 'key'): string => {
    const p = isAbsolute(server[key]) ? server[key] : join(base, server[key]);
    try {
      if (key === 'key') {
        const mode = statSync(p).mode & 0o777;
        if (mode & 0o077) throw new Error(`mode ${mode.toString(8).padStart(4, '0')} lets others read the private key; chmod 600 ${p}`);
      }
      return readFileSync(p, 'utf8');
    } catch (err) {
      throw new ConfigError(configFile, `server.${key}`, (err as Error).message);
    }
  };
  return { ca: read('ca'), cert: read('cert'), key: read('key') };
}
