import type { Dtc, TireValues, VehicleValues } from './values.js';

interface Entry<T> {
  v: T;
  until: number;
}

/**
 * The newest value of each field read from the bus, each with its own expiry: a value
 * older than its time to live is absent from `snapshot()`, never repeated forever. Tyres
 * are kept per wheel, trouble codes per sending ECU (an ECU's DM1 replaces its own list),
 * and the VIN for the whole session.
 */
export class LatestValues {
  private readonly scalars = new Map<string, Entry<number | boolean>>();
  private readonly tires = new Map<number, Entry<TireValues>>();
  private readonly dtcs = new Map<number, Entry<Dtc[]>>();
  private lamps: Entry<NonNullable<VehicleValues['lamps']>> | null = null;
  vin: string | undefined;

  update(values: VehicleValues, tsMs: number, ttlMs: number, source = 0): void {
    const until = tsMs + ttlMs;
    for (const [k, v] of Object.entries(values)) {
      if (typeof v === 'number' || typeof v === 'boolean') this.scalars.set(k, { v, until });
    }
    for (const t of values.tires ?? []) this.tires.set((t.axle << 4) | t.position, { v: t, until });
    if (values.dtcs) this.dtcs.set(source, { v: values.dtcs, until });
    if (values.lamps) this.lamps = { v: values.lamps, until };
    if (values.vin) this.vin = values.vin;
  }

  snapshot(nowMs: number): VehicleValues {
    const out: Record<string, unknown> = {};
    for (const [k, e] of this.scalars) if (e.until >= nowMs) out[k] = e.v;
    const tires = [...this.tires.entries()].filter(([, e]) => e.until >= nowMs).sort(([a], [b]) => a - b).map(([, e]) => e.v);
    if (tires.length) out.tires = tires;
    const dtcs = [...this.dtcs.values()].filter((e) => e.until >= nowMs).flatMap((e) => e.v);
    if ([...this.dtcs.values()].some((e) => e.until >= nowMs)) out.dtcs = dtcs;
    if (this.lamps && this.lamps.until >= nowMs) out.lamps = this.lamps.v;
    if (this.vin) out.vin = this.vin;
    return out as VehicleValues;
  }

  /** A new session (ignition on): nothing from the last one carries over. */
  clear(): void {
    this.scalars.clear();
    this.tires.clear();
    this.dtcs.clear();
    this.lamps = null;
    this.vin = undefined;
  }
}
