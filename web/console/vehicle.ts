// One vehicle: its link health (counters, and the sessions, path changes, resends and
// gaps of the range on the charts' time axis), the track of a chosen range (a line per run of
// records, gaps drawn as dashed breaks with their reason and count), trips and stops
// that jump there when clicked, playback with a time slider and speed, the record
// under the cursor with every value, charts on the same time axis, and exports.
import L from './leaflet.js';
import type { Api, Link, LinkEvent, PositionProps, Segment, Vehicle } from './api.js';
import { Unauthorized } from './api.js';
import { Charts, type Columns } from './charts.js';
import { bound } from './decimate.js';
import type { LinkLane } from './link-lane.js';
import { Track } from './track.js';
import { tripsOfTrack } from './trips.js';
import type { Fleet } from './fleet.js';
import { duration, escapeHtml, kmh, shortTime, STATE_LABEL, vehicleState } from './state.js';
import { faultNames } from '../../src/sensors/faults.js';
import { COLUMN_OF_KEY } from '../../src/server/store/column-names.js';

/** Two fixes further apart than this (with no gap record between) are drawn unjoined. */
const BREAK_S = 300;
const DAY_MS = 86_400_000;
/** What the map line, the charts and the trips need of each record: read first, so the range is drawn before its other fields arrive. */
const DRAW_FIELDS = ['lat', 'lon', 'speedMps', 'ignition', 'batteryV', 'rpm', 'coolantC', 'oilKpa', 'fuelPct', 'tyresKpa', 'faults'];
/** The rest of a record, for the record under the cursor: read once the range is drawn. */
const DETAIL_FIELDS = [...COLUMN_OF_KEY.keys()].filter((k) => !DRAW_FIELDS.includes(k));

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 19);
}

const fromLocalInput = (v: string): number => new Date(v).getTime();

function columns(tr: Track): Columns {
  const tyresKpa = tr.col<(number | null)[] | null>('tyresKpa');
  const tyreCount = Math.min(12, tyresKpa.reduce((n, r) => Math.max(n, r?.length ?? 0), 0));
  return {
    t: tr.t,
    speedKmh: tr.col('speedMps').map((v) => (v === null ? null : v * 3.6)),
    rpm: tr.col('rpm'),
    coolantC: tr.col('coolantC'),
    oilKpa: tr.col('oilKpa'),
    fuelPct: tr.col('fuelPct'),
    batteryV: tr.col('batteryV'),
    tyres: Array.from({ length: tyreCount }, (_, i) => tyresKpa.map((r) => r?.[i] ?? null)),
    faults: tr.col('faults'),
  };
}

/** The last index with t[i] <= x (0 if none, or if x is at or before the first). */
const indexAt = (t: number[], x: number): number => (t.length === 0 || x <= t[0]! ? 0 : bound(t, x, true) - 1);

export class VehicleView {
  private id: string | null = null;
  private vehicle: Vehicle | null = null;
  private track: Track = Track.empty();
  private link: Link | null = null;
  private readonly layer = L.featureGroup();
  private cursor: L.Marker | null = null;
  private readonly charts: Charts;
  private loading: AbortController | null = null;
  private range = { fromMs: 0, toMs: 0 };
  /** The range ends at the latest record: live records of this vehicle are appended. */
  private follow = false;
  private playing: { last: number; raf: number } | null = null;
  private now = 0;
  private chartTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly map: L.Map,
    private readonly api: Api,
    private readonly fleet: Fleet,
    private readonly unauthorized: () => void,
  ) {
    this.charts = new Charts($('charts'), (i) => this.seekIndex(i, false), (x) => this.seekTime(x, true));
    $('back').addEventListener('click', () => this.close());
    $('range-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const f = fromLocalInput($<HTMLInputElement>('range-from').value);
      const t = fromLocalInput($<HTMLInputElement>('range-to').value);
      if (!(f < t)) {
        $('track-summary').textContent = 'The range must end after it starts.';
        return;
      }
      this.follow = false;
      void this.load(f, t);
    });
    $('slider').addEventListener('input', () => this.seekTime(Number($<HTMLInputElement>('slider').value), true));
    $('play').addEventListener('click', () => (this.playing ? this.pause() : this.play()));
    for (const b of document.querySelectorAll<HTMLButtonElement>('[data-export]')) b.addEventListener('click', () => void this.export(b.dataset.export as 'geojson' | 'gpx' | 'csv'));
    $('segments').addEventListener('click', (e) => {
      const li = (e.target as HTMLElement).closest('li');
      if (li?.dataset.from) this.showSpan(Number(li.dataset.from), Number(li.dataset.to));
    });
    for (const list of ['gaps', 'link-events'])
      $(list).addEventListener('click', (e) => {
        const li = (e.target as HTMLElement).closest('li');
        if (li?.dataset.from) this.showSpan(Number(li.dataset.from) - 120, Number(li.dataset.to) + 120);
      });
  }

  private fail(err: unknown): void {
    if (err instanceof Unauthorized) this.unauthorized();
    else if ((err as Error).name !== 'AbortError') $('track-summary').textContent = (err as Error).message;
  }

  async open(id: string): Promise<void> {
    this.close();
    this.id = id;
    history.replaceState(null, '', `#vehicle=${encodeURIComponent(id)}`);
    this.fleet.show(false);
    this.layer.addTo(this.map);
    $('fleet-panel').hidden = true;
    $('vehicle-panel').hidden = false;
    $('vehicle-title').textContent = id;
    // The list's entry (kept current by the live feed) gives the range at once; the
    // vehicle's own document refreshes its counters when it comes.
    const listed = this.fleet.entries.get(id)?.v;
    const fresh = this.api.vehicle(id).then(
      (v) => {
        if (this.id !== id) return null;
        this.vehicle = v;
        this.renderHealth();
        return v;
      },
      (err: unknown) => {
        this.fail(err);
        return null;
      },
    );
    const v = listed ?? (await fresh);
    if (!v || this.id !== id) return;
    if (listed) {
      this.vehicle = listed;
      this.renderHealth();
    }
    const latest = v.latest ? Date.parse(v.latest.time) : Date.now();
    // The day up to the latest fix, or up to the last link activity when that came within a day after it.
    const seen = v.lastSeen ? Date.parse(v.lastSeen) : latest;
    const end = seen > latest && seen - latest < DAY_MS ? seen : latest;
    this.follow = true;
    await this.load(latest - DAY_MS + 1000, end + 1000);
  }

  close(): void {
    this.pause();
    this.loading?.abort();
    this.id = null;
    this.vehicle = null;
    this.link = null;
    this.layer.clearLayers();
    this.layer.remove();
    this.cursor = null;
    this.charts.destroy();
    $('charts').hidden = true;
    $('playback').hidden = true;
    $('record').hidden = true;
    $('vehicle-panel').hidden = true;
    $('fleet-panel').hidden = false;
    if (location.hash.startsWith('#vehicle=')) history.replaceState(null, '', location.pathname + location.search);
    this.fleet.show(true);
  }

  /** The list was re-read: show this vehicle's new counters. */
  refreshHealth(): void {
    const id = this.id;
    if (!id) return;
    const e = this.fleet.entries.get(id);
    if (e) {
      this.vehicle = e.v;
      this.renderHealth();
    }
    if (this.follow) void this.reloadLink(id);
  }

  /** Re-reads the range's link events (the list was re-read: sessions may have begun or ended). */
  private async reloadLink(id: string): Promise<void> {
    const { fromMs } = this.range;
    const toMs = Math.max(this.range.toMs, Date.now() + 1000);
    try {
      const link = await this.api.link(id, new Date(fromMs).toISOString(), new Date(toMs).toISOString());
      if (this.id !== id) return;
      this.link = link;
      this.renderLink();
      if (this.track.length) this.charts.setData(columns(this.track), this.lane());
    } catch (err) {
      this.fail(err);
    }
  }

  private lane(): LinkLane | null {
    return this.link ? { events: this.link.events, before: this.link.before, gaps: this.track.gaps } : null;
  }

  private renderLink(): void {
    const l = this.link;
    if (!l) return;
    const count = (k: LinkEvent['kind']) => l.events.filter((e) => e.kind === k).length;
    const resent = l.events.reduce((n, e) => n + (e.kind === 'resend' ? (e.count ?? 0) : 0), 0);
    $('link-summary').textContent = `${count('connect')} sessions begun, ${count('disconnect')} ended, ${count('path')} path changes, ${resent} records resent, ${count('gap')} gap markers${l.truncated ? ` (the first ${l.events.length} events of the range)` : ''}; ${l.before?.kind === 'connect' ? 'online' : 'offline'} at the start`;
    const what = (e: LinkEvent): string => {
      switch (e.kind) {
        case 'connect':
          return 'connected';
        case 'disconnect':
          return 'disconnected';
        case 'path':
          return 'path changed';
        case 'resend':
          return `${e.count} records resent`;
        case 'gap':
          return `gap marker: ${e.count} lost`;
      }
    };
    $('link-events').innerHTML =
      l.events
        .map((e) => {
          const x = Date.parse(e.time) / 1000;
          const to = e.until ? Date.parse(e.until) / 1000 : x;
          return `<li class="link-${e.kind}" data-kind="${e.kind}" data-from="${x}" data-to="${to}">${shortTime(e.time)} ${escapeHtml(what(e))}${e.detail ? `: ${escapeHtml(e.detail)}` : ''}</li>`;
        })
        .join('') || '<li class="none">none in this range</li>';
  }

  private renderHealth(): void {
    const v = this.vehicle;
    if (!v) return;
    const state = vehicleState(v.online, v.latest);
    const rows: [string, string][] = [
      ['state', STATE_LABEL[state]],
      ['link', v.online ? 'online (session open)' : 'offline'],
      ['last seen', shortTime(v.lastSeen)],
      ['sessions (handshakes)', String(v.handshakes)],
      ['path changes', String(v.pathChanges)],
      ['last close', v.lastClose ?? ''],
      ['records stored', String(v.records)],
      ['duplicates ignored', String(v.duplicates)],
      ['gaps', `${v.gaps} (${v.lost} records lost on the device)`],
      ['firmware', v.firmware ?? ''],
    ];
    $('link-health').innerHTML = rows.map(([k, x]) => `<dt>${escapeHtml(k)}</dt><dd data-key="${escapeHtml(k)}">${escapeHtml(x)}</dd>`).join('');
  }

  async load(fromMs: number, toMs: number): Promise<void> {
    const id = this.id;
    if (!id) return;
    this.pause();
    this.loading?.abort();
    const ac = new AbortController();
    this.loading = ac;
    this.range = { fromMs, toMs };
    $<HTMLInputElement>('range-from').value = toLocalInput(fromMs);
    $<HTMLInputElement>('range-to').value = toLocalInput(toMs);
    $('track-summary').textContent = 'loading...';
    const from = new Date(fromMs).toISOString();
    const to = new Date(toMs).toISOString();
    const started = performance.now();
    let ct;
    let link;
    try {
      [ct, link] = await Promise.all([this.api.track(id, from, to, ac.signal, DRAW_FIELDS), this.api.link(id, from, to, ac.signal)]);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (this.loading !== ac) return;
    const fetched = performance.now();
    const track = Track.fromColumns(ct);
    this.track = track;
    const trips = tripsOfTrack(id, track, fromMs, toMs);
    this.link = link;
    this.draw();
    this.renderLink();
    this.renderSegments([...trips.trips.map((s) => ({ kind: 'trip' as const, s })), ...trips.stops.map((s) => ({ kind: 'stop' as const, s }))]);
    this.renderGaps();
    const ms = performance.now() - started;
    $('track-summary').textContent = `${track.length} points, ${track.gaps.length} gaps, ${trips.trips.length} trips, ${trips.stops.length} stops (${Math.round(ms)} ms)`;
    $('track-summary').dataset.points = String(track.length);
    $('track-summary').dataset.ms = String(Math.round(ms));
    $('track-summary').dataset.drawMs = String(Math.round(performance.now() - fetched));
    if (track.length) void this.loadDetails(ac, id, track, from, to, started);
  }

  /** The drawn range's other fields (DETAIL_FIELDS), added to its track; the record under the cursor is shown again with them. */
  private async loadDetails(ac: AbortController, id: string, track: Track, from: string, to: string, started: number): Promise<void> {
    let ct;
    try {
      ct = await this.api.track(id, from, to, ac.signal, DETAIL_FIELDS);
    } catch (err) {
      if (this.loading === ac) this.fail(err);
      return;
    }
    if (this.loading !== ac || this.track !== track) return;
    track.addColumns(ct);
    this.seekIndex(indexAt(track.t, this.now), false, this.now);
    $('track-summary').dataset.detailMs = String(Math.round(performance.now() - started));
  }

  private draw(fit = true): void {
    this.layer.clearLayers();
    const { t, lat, lon, gaps, length } = this.track;
    $('playback').hidden = length === 0;
    $('charts').hidden = length === 0;
    $('record').hidden = length === 0;
    if (!length) {
      this.cursor = null;
      this.charts.destroy();
      return;
    }
    // Runs of records between gaps and long silences.
    const gapStarts = gaps.map((g) => Date.parse(g.fromTime) / 1000).sort((a, b) => a - b);
    const runs: L.LatLngExpression[][] = [];
    let run: L.LatLngExpression[] = [];
    let gi = 0;
    for (let i = 0; i < length; i++) {
      let broken = i > 0 && t[i]! - t[i - 1]! > BREAK_S;
      while (gi < gapStarts.length && gapStarts[gi]! <= t[i]!) {
        if (i > 0 && gapStarts[gi]! >= t[i - 1]!) broken = true;
        gi++;
      }
      if (broken && run.length) {
        runs.push(run);
        run = [];
      }
      run.push([lat[i]!, lon[i]!]);
    }
    if (run.length) runs.push(run);
    L.polyline(runs, { color: '#1f6fd1', weight: 3, opacity: 0.85, interactive: false }).addTo(this.layer);
    // Each gap: a dashed line from the last record before to the first after, with its reason.
    for (const g of gaps) {
      const a = Date.parse(g.fromTime) / 1000;
      const b = Date.parse(g.toTime) / 1000;
      const before = indexAt(t, a);
      const after = Math.min(length - 1, indexAt(t, b) + (t[indexAt(t, b)]! < b ? 1 : 0));
      L.polyline([[lat[before]!, lon[before]!], [lat[after]!, lon[after]!]], { color: '#dc2626', weight: 3, dashArray: '6 6', className: 'gs-gap' })
        .bindTooltip(`gap: ${g.lost} record${g.lost === 1 ? '' : 's'} lost (${escapeHtml(g.reason ?? 'reason not given')}), ${shortTime(g.fromTime)} - ${shortTime(g.toTime)}`, { sticky: true })
        .addTo(this.layer);
    }
    this.cursor = L.marker([lat[0]!, lon[0]!], { icon: L.divIcon({ className: 'gs-cursor', html: '<span></span>', iconSize: [18, 18], iconAnchor: [9, 9] }), keyboard: false, zIndexOffset: 1000 }).addTo(this.layer);
    const slider = $<HTMLInputElement>('slider');
    slider.min = String(Math.floor(t[0]!));
    slider.max = String(Math.ceil(t[t.length - 1]!));
    this.charts.setData(columns(this.track), this.lane());
    if (fit) {
      this.map.fitBounds(this.layer.getBounds().pad(0.1), { maxZoom: 16 });
      this.seekIndex(0, true);
    }
  }

  private renderSegments(segs: { kind: 'trip' | 'stop'; s: Segment }[]): void {
    segs.sort((a, b) => (a.s.start.time < b.s.start.time ? -1 : 1));
    $('segments').innerHTML = segs
      .map(({ kind, s }) => {
        const from = Date.parse(s.start.time) / 1000;
        const to = Date.parse(s.end.time) / 1000;
        const what = kind === 'trip' ? `trip ${((s.distanceM ?? 0) / 1000).toFixed(1)} km, max ${kmh(s.maxSpeedMps ?? null)} km/h` : 'stop';
        return `<li class="seg-${kind}" data-from="${from}" data-to="${to}">${shortTime(s.start.time)} - ${shortTime(s.end.time)}: ${what}, ${duration(s.durationS)}${s.ongoing ? ' (ongoing)' : ''}</li>`;
      })
      .join('') || '<li class="none">none in this range</li>';
  }

  private renderGaps(): void {
    $('gaps').innerHTML = this.track.gaps
      .map((g) => `<li data-from="${Date.parse(g.fromTime) / 1000}" data-to="${Date.parse(g.toTime) / 1000}">${shortTime(g.fromTime)} - ${shortTime(g.toTime)}: ${g.lost} lost, ${escapeHtml(g.reason ?? 'reason not given')} (seqs ${g.fromSeq}-${g.toSeq})</li>`)
      .join('') || '<li class="none">none in this range</li>';
  }

  /** Zooms map and charts to [from, to] seconds and puts the cursor at its start. */
  private showSpan(from: number, to: number): void {
    const { t, lat, lon } = this.track;
    if (!t.length) return;
    const a = indexAt(t, from);
    const b = indexAt(t, to);
    const bounds = L.latLngBounds(t.slice(a, b + 1).map((_, k) => [lat[a + k]!, lon[a + k]!] as [number, number]));
    if (bounds.isValid()) this.map.fitBounds(bounds.pad(0.2), { maxZoom: 17 });
    this.charts.zoom(from, Math.max(to, from + 1));
    this.seekTime(from, true);
  }

  seekTime(x: number, moveCharts: boolean): void {
    this.now = x;
    this.seekIndex(indexAt(this.track.t, x), moveCharts, x);
  }

  private seekIndex(i: number, moveCharts: boolean, at?: number): void {
    if (i < 0 || i >= this.track.length) return;
    const p = this.track.at(i);
    const x = at ?? this.track.t[i]!;
    this.now = x;
    $<HTMLInputElement>('slider').value = String(Math.round(x));
    $('play-time').textContent = `${shortTime(p.time)} (${i + 1} / ${this.track.length})`;
    this.cursor?.setLatLng([p.lat!, p.lon!]);
    const el = this.cursor?.getElement();
    if (el) {
      el.dataset.seq = String(p.seq);
      el.dataset.time = p.time;
    }
    if (moveCharts) this.charts.cursorAt(i);
    this.renderRecord(p);
  }

  private renderRecord(p: PositionProps): void {
    const rows: [string, string][] = [];
    for (const [k, v] of Object.entries(p)) {
      if (k === 'kind' || k === 'device') continue;
      let text = v === null ? '-' : Array.isArray(v) ? v.map((x) => (x === null ? '-' : String(x))).join(', ') : String(v);
      if (k === 'speedMps' && typeof v === 'number') text += ` (${kmh(v)} km/h)`;
      if (k === 'faults' && typeof v === 'number' && v !== 0) text += ` (${faultNames(v).join(', ')})`;
      rows.push([k, text]);
    }
    $('record-table').querySelector('tbody')!.innerHTML = rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td data-key="${escapeHtml(k)}">${escapeHtml(v)}</td></tr>`).join('');
  }

  private play(): void {
    const { t } = this.track;
    if (!t.length) return;
    if (this.now >= t[t.length - 1]!) this.seekTime(t[0]!, true);
    $('play').textContent = 'pause';
    const step = (ts: number) => {
      if (!this.playing) return;
      const speed = Number($<HTMLSelectElement>('play-speed').value);
      const x = this.now + ((ts - this.playing.last) / 1000) * speed;
      this.playing.last = ts;
      const end = t[t.length - 1]!;
      this.seekTime(Math.min(x, end), true);
      if (x >= end) {
        this.pause();
        return;
      }
      this.playing.raf = requestAnimationFrame(step);
    };
    this.playing = { last: performance.now(), raf: requestAnimationFrame(step) };
  }

  private pause(): void {
    if (this.playing) cancelAnimationFrame(this.playing.raf);
    this.playing = null;
    $('play').textContent = 'play';
  }

  /** A live record of this vehicle: appended to the track when the range follows the latest. */
  live(p: PositionProps): void {
    if (p.device !== this.id || !this.follow || p.lat === null || p.lon === null) return;
    const x = Date.parse(p.time) / 1000;
    const { t } = this.track;
    if (t.length && x <= t[t.length - 1]!) return;
    this.track.push(p);
    this.range.toMs = Math.max(this.range.toMs, Date.parse(p.time) + 1000);
    this.chartTimer ??= setTimeout(() => {
      this.chartTimer = null;
      if (!this.id) return;
      const atEnd = !this.playing && this.now >= (t[t.length - 2] ?? 0);
      const at = this.now;
      this.draw(false);
      if (atEnd) this.seekIndex(t.length - 1, true);
      else this.seekTime(at, true);
      $('track-summary').dataset.points = String(this.track.length);
    }, 1000);
  }

  private async export(format: 'geojson' | 'gpx' | 'csv'): Promise<void> {
    const id = this.id;
    if (!id) return;
    const from = new Date(this.range.fromMs).toISOString();
    const to = new Date(this.range.toMs).toISOString();
    try {
      const r = await this.api.fetch(this.api.positionsPath(id, from, to, format));
      const blob = await r.blob();
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = `${id}_${from.replace(/[:.]/g, '')}_${to.replace(/[:.]/g, '')}.${format === 'geojson' ? 'geojson' : format}`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    } catch (err) {
      this.fail(err);
    }
  }
}
