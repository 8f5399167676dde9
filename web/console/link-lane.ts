// The link-health lane on the charts' time axis: the vehicle's sessions as a band (on
// from a connect to its disconnect; a superseded session overlaps the next one), ticks
// for path changes, resends and gap markers (server time, as the server saw them), and
// the track's gaps as red spans (fix time, the records the device lost).
import uPlot from 'uplot';
import type { GapProps, LinkEvent } from './api.js';

export interface LinkLane {
  /** Events of the range, ascending. */
  events: LinkEvent[];
  /** The last connect or disconnect before the range. */
  before: LinkEvent | null;
  /** The track's gap records. */
  gaps: GapProps[];
}

export const TICK_COLOURS: Record<string, string> = { path: '#2563eb', resend: '#f59e0b', gap: '#dc2626' };
const SESSION = '#16a34a';

const sec = (iso: string) => Date.parse(iso) / 1000;

/** Times (s) of the lane's events. */
export function eventSpan(l: LinkLane): [number, number] | null {
  if (!l.events.length) return null;
  return [sec(l.events[0]!.time), sec(l.events[l.events.length - 1]!.until ?? l.events[l.events.length - 1]!.time)];
}

/**
 * Sessions open over [min, max] as a step series: x at min, at each connect and
 * disconnect inside, at max; y 1 while at least one session is open, else 0.
 */
export function sessionSteps(l: LinkLane, min: number, max: number): [number[], number[]] {
  const sessions = l.events.filter((e) => e.kind === 'connect' || e.kind === 'disconnect');
  // Without a known state before the range, a disconnect first means a session was open.
  let open = l.before ? (l.before.kind === 'connect' ? 1 : 0) : sessions[0]?.kind === 'disconnect' ? 1 : 0;
  const step = (e: LinkEvent) => (open = Math.max(0, open + (e.kind === 'connect' ? 1 : -1)));
  let i = 0;
  for (; i < sessions.length && sec(sessions[i]!.time) < min; i++) step(sessions[i]!);
  const xs = [min];
  const ys = [open > 0 ? 1 : 0];
  for (; i < sessions.length && sec(sessions[i]!.time) <= max; i++) {
    step(sessions[i]!);
    xs.push(sec(sessions[i]!.time));
    ys.push(open > 0 ? 1 : 0);
  }
  xs.push(max);
  ys.push(open > 0 ? 1 : 0);
  return [xs, ys];
}

/** Draws the ticks and gap spans of the lane over its plot. */
function markPlugin(lane: () => LinkLane): uPlot.Plugin {
  return {
    hooks: {
      draw: [
        (u) => {
          const l = lane();
          const ctx = u.ctx;
          const { left, top, width, height } = u.bbox;
          const inside = (x: number) => x >= left && x <= left + width;
          ctx.save();
          ctx.fillStyle = '#dc262640';
          for (const g of l.gaps) {
            const a = Math.max(left, u.valToPos(sec(g.fromTime), 'x', true));
            const b = Math.min(left + width, u.valToPos(sec(g.toTime), 'x', true));
            if (b >= left && a <= left + width) ctx.fillRect(a, top, Math.max(2 * devicePixelRatio, b - a), height);
          }
          ctx.lineWidth = Math.max(1.5, 2 * devicePixelRatio);
          ctx.font = `${10 * devicePixelRatio}px system-ui, sans-serif`;
          for (const e of l.events) {
            const colour = TICK_COLOURS[e.kind];
            if (!colour) continue;
            const x = u.valToPos(sec(e.time), 'x', true);
            if (!inside(x)) continue;
            ctx.strokeStyle = colour;
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
            if (e.count !== null) {
              ctx.fillStyle = colour;
              ctx.fillText(String(e.count), x + 3 * devicePixelRatio, top + 11 * devicePixelRatio);
            }
          }
          ctx.restore();
        },
      ],
    },
  };
}

/** uPlot options of the lane (data: sessionSteps). */
export function laneOptions(width: number, lane: () => LinkLane): uPlot.Options {
  return {
    title: 'link: sessions, path changes (blue), resends (orange), gaps (red)',
    width,
    height: 90,
    cursor: { sync: { key: 'geostream' }, drag: { x: true, y: false, setScale: false } },
    legend: { live: true },
    scales: { x: { time: true }, a: { range: [0, 1.25] } },
    axes: [{}, { scale: 'a', size: 50, splits: () => [0, 1], values: (_u, vals) => vals.map((v) => (v === 1 ? 'on' : 'off')) }, { scale: 'a', side: 1, size: 50, show: true, values: () => [], grid: { show: false } }],
    series: [
      {},
      {
        label: 'session',
        scale: 'a',
        stroke: SESSION,
        fill: `${SESSION}33`,
        width: 1.25,
        paths: uPlot.paths.stepped!({ align: 1 }),
        points: { show: false },
        value: (_u, v) => (v === null || v === undefined ? '-' : v ? 'open' : 'none'),
      },
    ],
    plugins: [markPlugin(lane)],
  };
}
