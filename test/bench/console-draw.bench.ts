// Time to draw one vehicle-day at 1 Hz (86,400 points, test/support/day-track.ts) in the
// real operator console: a real server process (--http) on a real SQLite file, Debian's
// chromium opening the vehicle's view (the track as columns, trips, link events; the map
// line, the cursor, the charts and the link lane). Target: under 1 s. Baseline measured in
// the same page and run: fetching the same range as GeoJSON and JSON.parse alone, drawing
// nothing. Prints the median of RUNS loads and the ratio. The view's requests (track,
// trips, link) each read the day from the store in the one server process; the part after
// the responses is the page's own (decode, map line, charts, lane).
import { DAY_RECORDS, DAY_T0 } from '../support/day-track.js';
import { makeFleet } from '../support/link-fixture.js';
import type { ServerProc } from '../support/server-proc.js';
import { launchChromium, type HeadlessBrowser } from '../support/browser.js';
import { drawDay, openFleetMap, startDayServer, type DayDraw } from '../support/console-page.js';

const RUNS = 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const fleet = await makeFleet(['truck-1'], 'gs-bench-draw-');
let srv: ServerProc | null = null;
let b: HeadlessBrowser | null = null;

try {
  const day = await startDayServer(fleet, 'truck-1');
  srv = day.srv;
  const { base, token } = day;
  b = await launchChromium();
  const { page: p, errors } = await openFleetMap(b, base, token, 'truck-1');
  const runs: DayDraw[] = [];
  for (let r = 0; r < RUNS; r++) runs.push(await drawDay(p, 'truck-1', r === 0));
  const m = (k: keyof DayDraw) => median(runs.map((d) => d[k])).toFixed(0);
  const from = new Date(DAY_T0).toISOString();
  const to = new Date(DAY_T0 + DAY_RECORDS * 1000).toISOString();
  const fetchParse = async (format: string) => {
    const xs: number[] = [];
    for (let r = 0; r < RUNS; r++)
      xs.push(
        await p.evaluate(
          async ([url, tok]) => {
            const t0 = performance.now();
            const res = await fetch(url!, { headers: { authorization: `Bearer ${tok}` } });
            await res.json();
            return performance.now() - t0;
          },
          [`${base}/api/v1/vehicles/truck-1/positions?from=${from}&to=${to}&format=${format}`, token],
        ),
      );
    return median(xs);
  };
  const geo = await fetchParse('geojson');
  const cols = await fetchParse('columns');
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  console.log(`vehicle view of one day, ${DAY_RECORDS.toLocaleString('en')} points, in chromium against a server process; median of ${RUNS}`);
  console.log(`  drawn: ${m('wall')} ms from the harness's click, ${m('event')} ms from the click event in the page (click to request ${m('toRequest')} ms; the page's own count, requests to drawn: ${m('own')} ms, of which after the responses: ${m('after')} ms; painted ${m('toPaint')} ms after; the track's first byte at ${m('firstByte')} ms, its last at ${m('lastByte')} ms; every field of every record in at ${m('detail')} ms by the page's count; meanwhile ${m('longTasks')} tasks over 50 ms, the longest ${m('longestTask')} ms); target under 1000 ms`);
  console.log(`  baseline, fetch + JSON.parse only: GeoJSON ${geo.toFixed(0)} ms, columns ${cols.toFixed(0)} ms`);
  console.log(`  drawn (columns) / GeoJSON fetch + parse alone: ${(median(runs.map((d) => d.wall)) / geo).toFixed(2)}`);
} finally {
  await b?.close();
  await srv?.stop();
  fleet.cleanup();
}
