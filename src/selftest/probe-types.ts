/**
 * What the self-test needs from the device areas. Each area (GNSS, sensors, status LEDs,
 * link) provides its probe in src/selftest/probe-registry.ts; a check whose probe is
 * absent reports SKIP with the reason, never PASS. Probes throw ProbeError (./check.js)
 * with a reason and a fix when the hardware does not answer.
 */

import type { CanLinkInfo } from '../hal/linux/can-link.js';

/** The parts of a GNSS fix (src/gnss/fix.ts `Fix`) the self-test reads. */
export interface SampleFix {
  /** GNSS UTC, ms since the epoch. */
  timeMs: number;
  mode: 1 | 2 | 3;
  sats: number | null;
  hdop: number | null;
}

export interface GnssSample {
  /** The UART read, e.g. '/dev/serial0' or 'sim'. */
  device: string;
  durationMs: number;
  bytes: number;
  /** Sentences with a valid checksum. */
  sentences: number;
  /** Frames rejected (bad checksum, garbage, overlong). */
  bad: number;
  /** Latest fix, or null when no epoch completed. */
  fix: SampleFix | null;
  /** Clock.now() (monotonic) when `fix` arrived, to age its GNSS time. */
  fixAtMono: number | null;
}

export interface GnssProbe {
  /** Opens the board's UART and reads NMEA for up to `durationMs` (sooner once a fix arrived). */
  sample(durationMs: number, signal: AbortSignal): Promise<GnssSample>;
}

export interface I2cChipReport {
  /** The chip or the sensor behind it, e.g. 'cabin' (BME280) or 'tyre-fl' (ABP). */
  name: string;
  bus: number;
  address?: number;
  /** What the datasheet says it answers, e.g. 'BME280 chip id 0x60'. */
  expected?: string;
  /** What it answered (or the sensor's state); absent when it did not answer. */
  found?: string;
  ok: boolean;
  error?: string;
}

export interface I2cProbe {
  /** Reads each configured chip's identity. */
  identify(signal: AbortSignal): Promise<I2cChipReport[]>;
}

export interface LedReport {
  led: string;
  ok: boolean;
  error?: string;
}

export interface LedProbe {
  /** Lights each LED in turn for `onMs` (visible to the technician), then all off. */
  cycle(onMs: number, signal: AbortSignal): Promise<LedReport[]>;
}

export interface IgnitionProbe {
  /** The debounced ignition state; null when the board has no ignition input. */
  read(): Promise<{ on: boolean; line: string } | null>;
}

export interface ServerHandshake {
  address: string;
  alpn: string;
  /** HELLO sent to WELCOME read. */
  rttMs: number;
  /** QUIC + TLS handshake time. */
  connectMs?: number;
  /** Highest seq of this device's spool the server has stored (0 = none). */
  high?: number;
  /** The spool the HELLO named: the device's own, or none yet (a fresh id). */
  spool?: 'device' | 'none';
}

export interface ServerProbe {
  /** Connects with the device certificate and completes the geostream/1.0 handshake. */
  handshake(signal: AbortSignal): Promise<ServerHandshake>;
}

/** The kernel's view of the CAN interface. */
export type { CanLinkInfo as CanLinkReport } from '../hal/linux/can-link.js';

export interface CanSample {
  iface: string;
  protocol: 'j1939' | 'obd2';
  /** The board file's bit rate. */
  bitrate: number;
  simulated: boolean;
  /** Null on the simulated board, and when `ip` could not tell. */
  link: CanLinkInfo | null;
  durationMs: number;
  frames: number;
  /** Frames that decoded into values (J1939 groups, OBD-II answers). */
  readings: number;
  busOff: number;
  /** Why the port could not be opened or died during the sample; unset when it stayed open. */
  portError?: string;
  /** PGN names (J1939) or mode/PID (OBD-II, e.g. '010c') that answered, with counts. */
  answered: Record<string, number>;
}

export interface CanProbe {
  /** Opens the board's CAN bus as the agent does (listen-only unless the board transmits) and listens for `durationMs`. */
  sample(durationMs: number, signal: AbortSignal): Promise<CanSample>;
}

export interface SelftestProbes {
  gnss?: GnssProbe;
  can?: CanProbe;
  i2c?: I2cProbe;
  leds?: LedProbe;
  ignition?: IgnitionProbe;
  server?: ServerProbe;
  /** Releases what the probes opened (buses, GPIO lines); called once after the checks. */
  dispose?: () => Promise<void>;
}
