import type { SimCanNetwork } from '../../hal/sim/can.js';
import type { VehicleState } from '../../sim/vehicle.js';
import { PgnWriter, messageFrames } from '../j1939/encode.js';
import { PGN } from '../j1939/pgns.js';

/** What the simulated truck's ECUs say, beyond the sensor model's state. */
export interface TruckExtras {
  vin: string;
  /** Active DTCs as [SPN, FMI, occurrences]. */
  dtcs: [number, number, number][];
}

const ENGINE = 0x00;
const TRANSMISSION = 0x03;
const CLUSTER = 0x17;
const TIRES = 0x33;

/**
 * A simulated J1939 truck on a simulated CAN bus: the engine, transmission, instrument
 * cluster and tyre ECUs broadcast EEC1, ETC2, CCVS and LFE every 100 ms; ET1, LFC, DD,
 * VDHR, HOURS, TIRE (one per wheel) and DM1 every second (DM1 by TP.BAM when it holds
 * more than one code); VI by TP.BAM every 10 s. Values come from the sensor model
 * (rpm, coolant, fuel, tyres); speed, gear and the totals are derived from rpm.
 */
export class SimJ1939Truck {
  private timer: NodeJS.Timeout | null = null;
  private tick = 0;
  private lastMs: number | null = null;
  private distanceKm = 183_420.5;
  private fuelUsedL = 61_234.5;
  private hours = 7_812.35;

  constructor(
    private readonly net: SimCanNetwork,
    private readonly iface: string,
    private readonly state: () => VehicleState,
    private readonly now: () => number,
    readonly extras: TruckExtras = { vin: 'YS2R4X20005399401', dtcs: [] },
  ) {}

  start(periodMs = 100): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.step(), periodMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Speed (km/h) and gear derived from rpm: top gear on the motorway, stopped at idle. */
  static drive(rpm: number): { speedKmh: number; gear: number; fuelRateLph: number } {
    const speedKmh = rpm < 800 ? 0 : Math.min(90, (rpm - 750) * 0.12);
    const gear = speedKmh === 0 ? 0 : Math.min(12, 1 + Math.floor(speedKmh / 8));
    const fuelRateLph = rpm < 300 ? 0 : 2.5 + Math.max(0, rpm - 700) * 0.03;
    return { speedKmh, gear, fuelRateLph };
  }

  /** Sends one 100 ms round of frames (timers call it; tests may call it directly). */
  step(): void {
    const s = this.state();
    const now = this.now();
    const dtH = this.lastMs === null ? 0 : Math.max(0, now - this.lastMs) / 3_600_000;
    this.lastMs = now;
    const on = s.ignition && s.rpm > 300;
    const d = SimJ1939Truck.drive(on ? s.rpm : 0);
    this.distanceKm += d.speedKmh * dtH;
    this.fuelUsedL += d.fuelRateLph * dtH;
    if (on) this.hours += dtH;
    const send = (priority: number, pgn: number, sa: number, w: PgnWriter | Uint8Array): void => {
      for (const f of messageFrames(priority, pgn, sa, w instanceof PgnWriter ? w.d : w)) this.net.inject(this.iface, { id: f.id, ext: true, data: f.data });
    };
    send(3, PGN.EEC1, ENGINE, new PgnWriter().u8(2, on ? 125 + Math.min(100, (s.rpm - 700) / 12) : 125).u16(3, on ? s.rpm : 0, 0.125));
    send(6, PGN.ETC2, TRANSMISSION, new PgnWriter().u8(0, d.gear, 1, -125).u8(3, d.gear, 1, -125));
    send(6, PGN.CCVS, CLUSTER, new PgnWriter().bit2(0, 2, d.speedKmh === 0).u16(1, d.speedKmh, 1 / 256).bit2(3, 0, false).bit2(3, 4, false).bit2(3, 6, false));
    send(6, PGN.LFE, ENGINE, new PgnWriter().u16(0, d.fuelRateLph, 0.05).u8(6, on ? Math.min(100, (s.rpm - 700) / 10) : 0, 0.4));
    if (this.tick % 10 === 0) {
      send(6, PGN.ET1, ENGINE, new PgnWriter().u8(0, s.coolantC, 1, -40).u8(1, s.coolantC - 30, 1, -40));
      send(6, PGN.LFC, ENGINE, new PgnWriter().u32(4, this.fuelUsedL, 0.5));
      send(6, PGN.DD, CLUSTER, new PgnWriter().u8(1, s.fuelPct, 0.4));
      send(6, PGN.VDHR, CLUSTER, new PgnWriter().u32(0, this.distanceKm, 0.005));
      send(6, PGN.HOURS, ENGINE, new PgnWriter().u32(0, this.hours, 0.05));
      s.tyresKpa.forEach((kpa, i) => send(6, PGN.TIRE, TIRES, new PgnWriter().u8(0, ((i >> 1) << 4) | (i & 1)).u8(1, kpa, 4).u16(2, 20 + i, 0.03125, -273)));
      send(6, PGN.DM1, ENGINE, this.dm1());
    }
    if (this.tick % 100 === 0) send(6, PGN.VI, ENGINE, Uint8Array.from(Buffer.from(`${this.extras.vin}*`, 'latin1')));
    this.tick++;
  }

  private dm1(): Uint8Array {
    const dtcs = this.extras.dtcs;
    const d = new Uint8Array(Math.max(8, 2 + 4 * dtcs.length)).fill(0xff);
    d[0] = dtcs.length ? 0x04 : 0x00;
    if (!dtcs.length) d.set([0, 0, 0, 0], 2);
    dtcs.forEach(([spn, fmi, oc], i) => d.set([spn & 0xff, (spn >> 8) & 0xff, ((spn >> 11) & 0xe0) | (fmi & 0x1f), oc & 0x7f], 2 + 4 * i));
    return d;
  }
}
