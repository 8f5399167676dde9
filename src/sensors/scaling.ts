/**
 * Turning an ADC input voltage into a physical value, as the board file describes
 * the wiring, and back (the simulated board drives the ADC model with the inverse).
 * One row per scale type.
 */
export interface ScaleSpec {
  type: 'divider' | 'linear' | 'ntc-beta' | 'ntc-steinhart' | 'resistive';
  /** Divider in front of the ADC input: top and bottom resistor (ohms). */
  rTop?: number;
  rBottom?: number;
  /** linear: sensor output volts v0..v1 maps to y0..y1. resistive: ohms r0..r1 maps to y0..y1. */
  v0?: number;
  v1?: number;
  y0?: number;
  y1?: number;
  r0?: number;
  r1?: number;
  /** Resistive senders and NTCs: pull-up to vref, sensor to ground, ADC across the sensor. */
  pullupOhms?: number;
  vref?: number;
  /** NTC beta model: R = r25 * exp(beta * (1/T - 1/298.15)). */
  r25?: number;
  beta?: number;
  /** Steinhart-Hart: 1/T = a + b ln R + c (ln R)^3. */
  a?: number;
  b?: number;
  c?: number;
}

interface ScaleRow {
  need: (keyof ScaleSpec)[];
  forward(s: Required<ScaleSpec>, volts: number): number;
  inverse(s: Required<ScaleSpec>, value: number): number;
}

const K = 273.15;
/** Sensor resistance from the voltage across it in a pull-up divider. */
const rFromV = (s: Required<ScaleSpec>, v: number): number => (s.pullupOhms * v) / (s.vref - v);
const vFromR = (s: Required<ScaleSpec>, r: number): number => (s.vref * r) / (r + s.pullupOhms);
/** Input divider: volts at the source from volts at the ADC pin. */
const undivide = (s: Required<ScaleSpec>, v: number): number => (s.rTop ? (v * (s.rTop + s.rBottom)) / s.rBottom : v);
const divide = (s: Required<ScaleSpec>, v: number): number => (s.rTop ? (v * s.rBottom) / (s.rTop + s.rBottom) : v);

export const SCALES: Record<ScaleSpec['type'], ScaleRow> = {
  divider: {
    need: ['rTop', 'rBottom'],
    forward: (s, v) => undivide(s, v),
    inverse: (s, x) => divide(s, x),
  },
  linear: {
    need: ['v0', 'v1', 'y0', 'y1'],
    forward: (s, v) => s.y0 + ((undivide(s, v) - s.v0) * (s.y1 - s.y0)) / (s.v1 - s.v0),
    inverse: (s, x) => divide(s, s.v0 + ((x - s.y0) * (s.v1 - s.v0)) / (s.y1 - s.y0)),
  },
  resistive: {
    need: ['pullupOhms', 'vref', 'r0', 'r1', 'y0', 'y1'],
    forward: (s, v) => s.y0 + ((rFromV(s, v) - s.r0) * (s.y1 - s.y0)) / (s.r1 - s.r0),
    inverse: (s, x) => vFromR(s, s.r0 + ((x - s.y0) * (s.r1 - s.r0)) / (s.y1 - s.y0)),
  },
  'ntc-beta': {
    need: ['pullupOhms', 'vref', 'r25', 'beta'],
    forward: (s, v) => 1 / (1 / (25 + K) + Math.log(rFromV(s, v) / s.r25) / s.beta) - K,
    inverse: (s, t) => vFromR(s, s.r25 * Math.exp(s.beta * (1 / (t + K) - 1 / (25 + K)))),
  },
  'ntc-steinhart': {
    need: ['pullupOhms', 'vref', 'a', 'b', 'c'],
    forward: (s, v) => {
      const l = Math.log(rFromV(s, v));
      return 1 / (s.a + s.b * l + s.c * l * l * l) - K;
    },
    inverse: (s, t) => {
      // Solve c x^3 + b x - (a - 1/T) = 0 for x = ln R (Cardano; one real root for b, c > 0).
      const y = (s.a - 1 / (t + K)) / s.c;
      const xq = s.b / (3 * s.c);
      const disc = Math.sqrt(xq * xq * xq + (y / 2) * (y / 2));
      const x = Math.cbrt(-y / 2 + disc) + Math.cbrt(-y / 2 - disc);
      return vFromR(s, Math.exp(x));
    },
  },
};

/** Fields a scale spec lacks for its type (empty when complete). */
export function missingScaleFields(s: ScaleSpec): string[] {
  return SCALES[s.type].need.filter((k) => typeof s[k] !== 'number');
}

function full(s: ScaleSpec): Required<ScaleSpec> {
  return { rTop: 0, rBottom: 1, v0: 0, v1: 1, y0: 0, y1: 1, r0: 0, r1: 1, pullupOhms: 1, vref: 1, r25: 1, beta: 1, a: 0, b: 0, c: 0, ...s } as Required<ScaleSpec>;
}

/** ADC volts -> physical value (may be non-finite for an open or shorted sensor). */
export function scaleForward(s: ScaleSpec, volts: number): number {
  return SCALES[s.type].forward(full(s), volts);
}

/** Physical value -> ADC volts (the simulated board's wiring). */
export function scaleInverse(s: ScaleSpec, value: number): number {
  return SCALES[s.type].inverse(full(s), value);
}
