// Sensor charts under the map on one time axis (uPlot, cursors synchronised): speed and
// RPM, coolant and oil, fuel and battery, each tyre's pressure. A record whose fault
// bits name a chart's sensors is marked on that chart: red where the sensor failed (no
// value), orange where the value was out of its physical range. Each chart draws the
// records that look the same at its width (decimate.ts), chosen again on every zoom.
// Above them, the link lane (link-lane.ts) on the same axis.
import uPlot from 'uplot';
import { FAULT } from '../../src/sensors/faults.js';
import { chartIndices } from './decimate.js';
import { eventSpan, laneOptions, sessionSteps, type LinkLane } from './link-lane.js';

export interface Columns {
  t: number[];
  speedKmh: (number | null)[];
  rpm: (number | null)[];
  coolantC: (number | null)[];
  oilKpa: (number | null)[];
  fuelPct: (number | null)[];
  batteryV: (number | null)[];
  tyres: (number | null)[][];
  faults: (number | null)[];
}

interface ChartSpec {
  title: string;
  series: { label: string; col: (c: Columns) => (number | null)[]; scale: string; stroke: string }[];
  failBits: number;
  rangeBits: number;
}

const TYRE_COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function specs(tyreCount: number): ChartSpec[] {
  return [
    { title: 'speed km/h, rpm', failBits: FAULT.rpm, rangeBits: FAULT.rpmRange, series: [
      { label: 'speed km/h', col: (c) => c.speedKmh, scale: 'a', stroke: '#1f6fd1' },
      { label: 'rpm', col: (c) => c.rpm, scale: 'b', stroke: '#c2410c' },
    ] },
    { title: 'coolant °C, oil kPa', failBits: FAULT.coolant | FAULT.oil, rangeBits: FAULT.coolantRange | FAULT.oilRange, series: [
      { label: 'coolant °C', col: (c) => c.coolantC, scale: 'a', stroke: '#0e7490' },
      { label: 'oil kPa', col: (c) => c.oilKpa, scale: 'b', stroke: '#854d0e' },
    ] },
    { title: 'fuel %, battery V', failBits: FAULT.fuel | FAULT.battery, rangeBits: FAULT.fuelRange | FAULT.batteryRange, series: [
      { label: 'fuel %', col: (c) => c.fuelPct, scale: 'a', stroke: '#15803d' },
      { label: 'battery V', col: (c) => c.batteryV, scale: 'b', stroke: '#7c3aed' },
    ] },
    { title: 'tyres kPa', failBits: FAULT.tyres | FAULT.stale, rangeBits: FAULT.tyresRange, series: Array.from({ length: tyreCount }, (_, i) => ({
      label: `tyre ${i + 1}`, col: (c: Columns) => c.tyres[i]!, scale: 'a', stroke: TYRE_COLOURS[i % TYRE_COLOURS.length]!,
    })) },
  ];
}

/** Vertical ticks along the top of the plot at the records with the chart's fault bits. */
function faultPlugin(cols: () => Columns, failBits: number, rangeBits: number): uPlot.Plugin {
  return {
    hooks: {
      draw: [
        (u) => {
          const c = cols();
          const ctx = u.ctx;
          const top = u.bbox.top;
          const h = Math.max(4, u.bbox.height * 0.08);
          ctx.save();
          ctx.lineWidth = Math.max(1, devicePixelRatio);
          for (let i = 0; i < c.t.length; i++) {
            const f = c.faults[i];
            if (!f) continue;
            const fail = (f & failBits) !== 0;
            if (!fail && (f & rangeBits) === 0) continue;
            const x = u.valToPos(c.t[i]!, 'x', true);
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
            ctx.strokeStyle = fail ? '#dc2626' : '#f59e0b';
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + h);
            ctx.stroke();
          }
          ctx.restore();
        },
      ],
    },
  };
}

export class Charts {
  private plots: uPlot[] = [];
  /** Each plot's series, and the record of each point it was given (chartIndices()). */
  private chartSpecs: ChartSpec[] = [];
  private shown: Int32Array[] = [];
  private lanePlot: uPlot | null = null;
  private cols: Columns | null = null;
  private lane: LinkLane | null = null;
  /** Seconds every chart shows unzoomed: the records' times and the lane's events. */
  private xRange: [number, number] | null = null;
  private lastIdx = -1;

  constructor(
    private readonly el: HTMLElement,
    private readonly onCursor: (idx: number) => void,
    /** The cursor was moved on the link lane, to this time (s). */
    private readonly onTime: (x: number) => void = () => {},
  ) {
    new ResizeObserver(() => this.resize()).observe(el);
  }

  get chartCount(): number {
    return this.plots.length;
  }

  /** Draws the records (at least one) and, when given, the link lane. */
  setData(c: Columns, lane: LinkLane | null = null): void {
    this.cols = c;
    this.lane = lane;
    const tyreCount = c.tyres.length;
    const want = specs(tyreCount).filter((s) => s.series.length > 0);
    if (this.plots.length !== want.length || this.plots[3]?.series.length !== (want[3]?.series.length ?? 0) + 1) this.rebuild(want);
    let min = c.t[0]!;
    let max = c.t[c.t.length - 1]!;
    const span = lane ? eventSpan(lane) : null;
    if (span) {
      min = Math.min(min, span[0]);
      max = Math.max(max, span[1]);
    }
    this.xRange = [min, max];
    if (lane) {
      this.lanePlot ??= this.makeLane();
      this.lanePlot.setData(sessionSteps(lane, min, max));
    } else {
      this.lanePlot?.root.parentElement?.remove();
      this.lanePlot?.destroy();
      this.lanePlot = null;
    }
    this.zoom(min, max);
  }

  private makeLane(): uPlot {
    const div = document.createElement('div');
    div.className = 'chart link-lane';
    div.id = 'link-lane';
    this.el.prepend(div);
    const opts = laneOptions(this.width(), () => this.lane ?? { events: [], before: null, gaps: [] });
    opts.cursor = { ...opts.cursor, bind: this.dblclickResets() };
    opts.hooks = {
      setCursor: [
        (u) => {
          const left = u.cursor.left;
          if (left === undefined || left < 0 || u.cursor.event === undefined) return;
          this.onTime(u.posToVal(left, 'x'));
        },
      ],
      setSelect: [(u) => this.selected(u)],
    };
    return new uPlot(opts, [[], []], div);
  }

  /**
   * A double click shows the whole range again on every chart (uPlot's own would scale a
   * chart to the points it holds, which are those of the range shown).
   */
  private dblclickResets(): uPlot.Cursor.Bind {
    return {
      dblclick: () => () => {
        this.resetZoom();
        return null;
      },
    };
  }

  private width(): number {
    return Math.max(300, this.el.clientWidth - 8);
  }

  /** A drag over a chart zooms every chart to it. */
  private selected(u: uPlot): void {
    if (u.select.width < 2) return;
    const min = u.posToVal(u.select.left, 'x');
    const max = u.posToVal(u.select.left + u.select.width, 'x');
    this.zoom(min, max);
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
  }

  private all(): uPlot[] {
    return this.lanePlot ? [this.lanePlot, ...this.plots] : this.plots;
  }

  private rebuild(want: ChartSpec[]): void {
    this.chartSpecs = want;
    for (const p of this.all()) p.destroy();
    this.lanePlot = null;
    this.el.innerHTML = '';
    const width = this.width();
    this.plots = want.map((s) => {
      const div = document.createElement('div');
      div.className = 'chart';
      this.el.appendChild(div);
      const opts: uPlot.Options = {
        title: s.title,
        width,
        height: 130,
        cursor: { sync: { key: 'geostream' }, drag: { x: true, y: false, setScale: false }, bind: this.dblclickResets() },
        legend: { live: true },
        scales: { x: { time: true }, a: {}, b: {} },
        axes: [{}, { scale: 'a', size: 50 }, ...(s.series.some((x) => x.scale === 'b') ? [{ scale: 'b', side: 1 as const, size: 50, grid: { show: false } }] : [])],
        series: [{}, ...s.series.map((x) => ({ label: x.label, scale: x.scale, stroke: x.stroke, width: 1.25, spanGaps: false, points: { show: false } }))],
        plugins: [faultPlugin(() => this.cols!, s.failBits, s.rangeBits)],
        hooks: {
          setCursor: [
            (u) => {
              const at = u.cursor.idx;
              const i = at === null || at === undefined ? undefined : this.shown[this.plots.indexOf(u)]?.[at];
              if (i === undefined || i === this.lastIdx || u.cursor.event === undefined) return;
              this.lastIdx = i;
              this.onCursor(i);
            },
          ],
          setSelect: [(u) => this.selected(u)],
        },
      };
      return new uPlot(opts, [[], ...s.series.map(() => [])], div);
    });
  }

  /**
   * Shows [min, max] seconds on every chart: each is given the records it needs to draw
   * that range at its width exactly as with all of them (chartIndices()).
   */
  zoom(min: number, max: number): void {
    const c = this.cols;
    this.plots.forEach((p, k) => {
      const spec = this.chartSpecs[k];
      if (!c || !spec) return p.setScale('x', { min, max });
      const series = spec.series.map((x) => x.col(c));
      const idx = chartIndices(c.t, series, min, max, p.bbox.width > 0 ? p.bbox.width : this.width() * devicePixelRatio);
      this.shown[k] = idx;
      // how many of the records the chart was given (data-records) to draw (data-points), over which seconds
      const box = p.root.parentElement;
      if (box) Object.assign(box.dataset, { points: String(idx.length), records: String(c.t.length), xMin: String(min), xMax: String(max) });
      const pick = <T>(a: readonly T[]): T[] => Array.from(idx, (i) => a[i]!);
      p.batch(() => {
        p.setData([pick(c.t), ...series.map(pick)]);
        p.setScale('x', { min, max });
      });
    });
    this.lanePlot?.setScale('x', { min, max });
  }

  resetZoom(): void {
    if (this.xRange) this.zoom(...this.xRange);
  }

  /** Moves every chart's cursor to record `idx` (playback, the slider). */
  cursorAt(idx: number): void {
    const t = this.cols?.t[idx];
    if (t === undefined) return;
    this.lastIdx = idx;
    for (const p of this.all()) {
      const left = p.valToPos(t, 'x');
      if (Number.isFinite(left)) p.setCursor({ left, top: 10 }, false);
    }
  }

  private resize(): void {
    const width = this.width();
    let resized = false;
    for (const p of this.all())
      if (Math.abs(p.width - width) > 4) {
        p.setSize({ width, height: p.height });
        resized = true;
      }
    // the points each chart needs follow its width
    const x = this.plots[0]?.scales.x;
    if (resized && x?.min !== undefined && x.max !== undefined) this.zoom(x.min, x.max);
  }

  destroy(): void {
    for (const p of this.all()) p.destroy();
    this.plots = [];
    this.chartSpecs = [];
    this.shown = [];
    this.lanePlot = null;
    this.el.innerHTML = '';
  }
}
