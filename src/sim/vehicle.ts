/**
 * A simulated truck for the simulated board: a repeating 10-minute drive cycle
 * (idle, town, motorway, slowing down) with first-order physics so values move
 * plausibly: the coolant warms to the thermostat, oil pressure follows rpm and
 * viscosity, the alternator lifts the battery, fuel drops with load, tyres warm up.
 * Deterministic for a given start time; advance with `update(nowMs)`.
 */
export interface VehicleState {
  ignition: boolean;
  rpm: number;
  batteryV: number;
  coolantC: number;
  oilKpa: number;
  fuelPct: number;
  tyresKpa: number[];
  cabinC: number;
  cabinRh: number;
  pressurePa: number;
}

const CYCLE_S = 600;

/** Engine rpm target at cycle second s. */
function rpmAt(s: number): number {
  if (s < 30) return 750;
  if (s < 200) return 1400 + 350 * Math.sin(((s - 30) / 170) * Math.PI * 6);
  if (s < 500) return 1500 + 60 * Math.sin((s / 37) * Math.PI);
  if (s < 560) return 1500 - ((s - 500) / 60) * 750;
  return 750;
}

export class SimVehicle {
  readonly state: VehicleState;
  private lastMs: number;
  /** Set false to model the ignition off (engine stops, values drift back). */
  ignitionOn = true;

  constructor(
    private startMs: number,
    tyres: number,
    ambientC = 12,
  ) {
    this.lastMs = startMs;
    this.state = {
      ignition: true,
      rpm: 750,
      batteryV: 25.2,
      coolantC: ambientC,
      oilKpa: 0,
      fuelPct: 72,
      tyresKpa: Array.from({ length: tyres }, (_, i) => (i < 2 ? 830 : 790) - i * 1.5),
      cabinC: ambientC + 4,
      cabinRh: 58,
      pressurePa: 100_900,
    };
  }

  /** Moves the drive cycle `seconds` ahead (benchmarks: start on the motorway). */
  skipCycle(seconds: number): void {
    this.startMs -= seconds * 1000;
  }

  update(nowMs: number): VehicleState {
    const dt = Math.min(60, Math.max(0, (nowMs - this.lastMs) / 1000));
    this.lastMs = nowMs;
    if (dt === 0) return this.state;
    const s = this.state;
    const t = ((nowMs - this.startMs) / 1000) % CYCLE_S;
    const lag = (x: number, target: number, tauS: number): number => x + (target - x) * (1 - Math.exp(-dt / tauS));
    s.ignition = this.ignitionOn;
    const running = s.ignition;
    s.rpm = lag(s.rpm, running ? rpmAt(t) : 0, 1.5);
    const load = s.rpm / 1500;
    s.coolantC = lag(s.coolantC, running ? 86 + 3 * load : 12, running ? 420 : 1800);
    const viscosity = 1 + Math.max(0, 88 - s.coolantC) / 120;
    s.oilKpa = running && s.rpm > 300 ? (90 + 0.2 * s.rpm) * viscosity : lag(s.oilKpa, 0, 0.5);
    s.batteryV = lag(s.batteryV, running && s.rpm > 500 ? 27.9 - 0.2 * Math.sin(t / 7) : 25.1, 8);
    s.fuelPct = Math.max(0, s.fuelPct - dt * (running ? 0.0012 * load + 0.0003 : 0));
    for (let i = 0; i < s.tyresKpa.length; i++) {
      const cold = (i < 2 ? 830 : 790) - i * 1.5;
      s.tyresKpa[i] = lag(s.tyresKpa[i]!, cold * (running ? 1 + 0.05 * load : 1), 900);
    }
    s.cabinC = lag(s.cabinC, running ? 21 : 12, 600);
    s.cabinRh = 55 + 6 * Math.sin(t / 95);
    return s;
  }
}
