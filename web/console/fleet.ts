// The fleet: every vehicle at its latest position on the map (clustered), coloured by
// state, and the list beside it that filters and sorts. Updates are applied in batches
// (at most one per vehicle per flush), so thousands of vehicles streaming at 1 Hz cost
// one marker move per vehicle per second, not one per event.
import L from './leaflet.js';
import 'leaflet.markercluster';
import type { LatestProps, PositionProps, Vehicle } from './api.js';
import { escapeHtml, kmh, shortTime, STATE_LABEL, vehicleState, type VehicleState } from './state.js';

interface Entry {
  v: Vehicle;
  state: VehicleState;
  marker: L.Marker | null;
  dirty: boolean;
}

type SortKey = 'id' | 'state' | 'speed' | 'time';

/** A vehicle's row in the list: kept while the vehicle is shown, its texts changed in place. */
interface Row {
  tr: HTMLTableRowElement;
  /** id, state, speed, time */
  texts: Text[];
}

const LIST_ROWS = 500;

function icon(id: string, state: VehicleState, seq: number | undefined): L.DivIcon {
  return L.divIcon({
    className: `gs-veh gs-${state}`,
    html: `<span data-vehicle="${escapeHtml(id)}" data-state="${state}" data-seq="${seq ?? ''}" title="${escapeHtml(id)}: ${STATE_LABEL[state]}"></span>`,
    iconSize: [14, 14],
    iconAnchor: [7, 7],
  });
}

export class Fleet {
  readonly entries = new Map<string, Entry>();
  private readonly cluster: L.MarkerClusterGroup;
  private sort: { key: SortKey; dir: 1 | -1 } = { key: 'id', dir: 1 };
  private listDirty = true;
  private fitted = false;
  /** Live events per whole second (of performance.now()) over the last 10 s, oldest first: the records-per-second figure. */
  private readonly perSecond: { s: number; n: number }[] = [];
  /** The rows on screen, by vehicle: a redraw moves and edits them, so a row under the pointer stays the same element. */
  private readonly rowEls = new Map<string, Row>();
  /** Live events received since the page started. */
  private events = 0;
  onSelect: (id: string) => void = () => {};

  constructor(
    private readonly map: L.Map,
    private readonly els: { tbody: HTMLElement; filter: HTMLInputElement; stateFilter: HTMLSelectElement; more: HTMLElement; stats: HTMLElement; thead: HTMLElement },
  ) {
    this.cluster = L.markerClusterGroup({ chunkedLoading: true, maxClusterRadius: 40, disableClusteringAtZoom: 16, spiderfyOnMaxZoom: false });
    this.map.addLayer(this.cluster);
    els.filter.addEventListener('input', () => this.invalidate());
    els.stateFilter.addEventListener('change', () => this.invalidate());
    els.thead.addEventListener('click', (e) => {
      const k = (e.target as HTMLElement).closest('th')?.dataset.sort as SortKey | undefined;
      if (!k) return;
      this.sort = { key: k, dir: this.sort.key === k ? (-this.sort.dir as 1 | -1) : 1 };
      this.invalidate();
    });
    els.tbody.addEventListener('click', (e) => {
      const id = (e.target as HTMLElement).closest('tr')?.dataset.vehicle;
      if (id) this.onSelect(id);
    });
  }

  private invalidate(): void {
    this.renderList();
  }

  /** The vehicle list as the API gives it (on start, on reconnect, every 30 s). */
  setVehicles(list: Vehicle[]): void {
    const seen = new Set<string>();
    for (const v of list) {
      seen.add(v.id);
      const e = this.entries.get(v.id);
      if (e) {
        // Keep a newer live position than the list's.
        if (e.v.latest && v.latest && e.v.latest.time > v.latest.time) v.latest = e.v.latest;
        e.v = v;
        e.dirty = true;
      } else this.entries.set(v.id, { v, state: 'offline', marker: null, dirty: true });
    }
    for (const [id, e] of this.entries) {
      if (seen.has(id)) continue;
      if (e.marker) this.cluster.removeLayer(e.marker);
      this.entries.delete(id);
    }
    this.flush();
  }

  /** A live record: the vehicle is online and at this position. */
  live(p: PositionProps): void {
    const s = Math.floor(performance.now() / 1000);
    const last = this.perSecond[this.perSecond.length - 1];
    if (last?.s === s) last.n++;
    else this.perSecond.push({ s, n: 1 });
    this.events++;
    let e = this.entries.get(p.device);
    if (!e) {
      e = { v: { id: p.device, online: true, lastSeen: p.received, handshakes: 0, pathChanges: 0, lastClose: null, firmware: null, records: 0, duplicates: 0, gaps: 0, lost: 0, latest: null }, state: 'offline', marker: null, dirty: true };
      this.entries.set(p.device, e);
    }
    e.v.online = true;
    e.v.records++;
    e.v.lastSeen = p.received;
    if (p.lat !== null && p.lon !== null && (!e.v.latest || p.time >= e.v.latest.time)) {
      const { kind: _k, device: _d, ...latest } = p;
      e.v.latest = latest as LatestProps;
    }
    e.dirty = true;
  }

  /**
   * Applies what changed since the last flush to the markers; the list is redrawn if
   * anything did. While the fleet is not shown (a vehicle's view is open) only the counts
   * are: the changes wait, marked, for show(true), and the page's main thread is the view's.
   */
  flush(): void {
    if (!this.map.hasLayer(this.cluster)) {
      this.renderStats();
      return;
    }
    const add: L.Marker[] = [];
    const moved: [L.Marker, L.LatLng][] = [];
    const reseq: [L.Marker, number][] = [];
    let changed = false;
    for (const e of this.entries.values()) {
      if (!e.dirty) continue;
      e.dirty = false;
      changed = true;
      const l = e.v.latest;
      const state = vehicleState(e.v.online, l);
      if (!l || l.lat === null || l.lon === null) {
        if (e.marker) this.cluster.removeLayer(e.marker);
        e.marker = null;
        e.state = state;
        continue;
      }
      const at = L.latLng(l.lat, l.lon);
      if (!e.marker) {
        e.marker = L.marker(at, { icon: icon(e.v.id, state, l.seq), keyboard: false });
        e.marker.on('click', () => this.onSelect(e.v.id));
        add.push(e.marker);
      } else {
        if (!e.marker.getLatLng().equals(at)) moved.push([e.marker, at]);
        if (state !== e.state) e.marker.setIcon(icon(e.v.id, state, l.seq));
        else reseq.push([e.marker, l.seq]);
      }
      e.state = state;
    }
    if (moved.length) this.move(moved);
    // After the moves: a marker the group put back on the map has its icon's HTML again.
    for (const [m, seq] of reseq) {
      const span = m.getElement()?.firstElementChild as HTMLElement | null | undefined;
      if (span) span.dataset.seq = String(seq);
    }
    if (add.length) this.cluster.addLayers(add);
    if (add.length && !this.fitted) {
      this.fitted = true;
      this.fitAll();
    }
    if (changed) this.listDirty = true;
    if (this.listDirty) this.renderList();
    this.renderStats();
  }

  /**
   * Moves markers in one pass of the cluster group: out together, moved, back together.
   * A marker moved on its own is re-clustered alone, and each time the group recomputes
   * the bounds and icons of all its clusters: for thousands of vehicles a second that
   * fills the page's main thread.
   */
  private move(moved: [L.Marker, L.LatLng][]): void {
    const markers = moved.map(([m]) => m);
    this.cluster.removeLayers(markers);
    for (const [m, at] of moved) {
      // Without the group's 'move' listener, which would re-cluster the marker on its own; addLayers sets it again.
      m.off('move');
      m.setLatLng(at);
    }
    this.cluster.addLayers(markers);
  }

  fitAll(): void {
    const b = this.cluster.getBounds();
    if (b.isValid()) this.map.fitBounds(b.pad(0.2), { maxZoom: 15 });
  }

  private rows(): Entry[] {
    const f = this.els.filter.value.trim().toLowerCase();
    const sf = this.els.stateFilter.value;
    const rows = [...this.entries.values()].filter((e) => (!f || e.v.id.toLowerCase().includes(f) || (e.v.firmware ?? '').toLowerCase().includes(f)) && (!sf || e.state === sf));
    const { key, dir } = this.sort;
    const order: Record<VehicleState, number> = { moving: 0, parked: 1, off: 2, offline: 3 };
    const val = (e: Entry): string | number => (key === 'id' ? e.v.id : key === 'state' ? order[e.state] : key === 'speed' ? (e.v.latest?.speedMps ?? -1) : (e.v.latest?.time ?? ''));
    rows.sort((a, b) => {
      const x = val(a);
      const y = val(b);
      return (x < y ? -1 : x > y ? 1 : a.v.id < b.v.id ? -1 : 1) * dir;
    });
    return rows;
  }

  /** The row of `e`, made the first time it is shown, with its texts brought up to date. */
  private row(e: Entry, now: number): HTMLTableRowElement {
    let r = this.rowEls.get(e.v.id);
    if (!r) {
      const tr = document.createElement('tr');
      tr.dataset.vehicle = e.v.id;
      const cells = [0, 1, 2, 3].map(() => tr.appendChild(document.createElement('td')));
      cells[1]!.appendChild(document.createElement('i'));
      r = { tr, texts: cells.map((td) => td.appendChild(document.createTextNode(''))) };
      this.rowEls.set(e.v.id, r);
    }
    const cls = `gs-${e.state}`;
    if (r.tr.className !== cls) r.tr.className = cls;
    const texts = [e.v.id, STATE_LABEL[e.state], kmh(e.v.latest?.speedMps ?? null), shortTime(e.v.latest?.time ?? null, now)];
    for (const [k, t] of texts.entries()) if (r.texts[k]!.data !== t) r.texts[k]!.data = t;
    return r.tr;
  }

  private renderList(): void {
    this.listDirty = false;
    const rows = this.rows();
    const now = Date.now();
    const shown = new Set<string>();
    let at = this.els.tbody.firstElementChild;
    for (const e of rows.slice(0, LIST_ROWS)) {
      shown.add(e.v.id);
      const tr = this.row(e, now);
      if (tr === at) at = at.nextElementSibling;
      else this.els.tbody.insertBefore(tr, at);
    }
    while (at) {
      const next = at.nextElementSibling;
      at.remove();
      at = next;
    }
    for (const id of this.rowEls.keys()) if (!shown.has(id)) this.rowEls.delete(id);
    this.els.more.textContent = rows.length > LIST_ROWS ? `${rows.length - LIST_ROWS} more: narrow the filter` : `${rows.length} shown`;
    for (const th of this.els.thead.querySelectorAll('th')) th.className = th.dataset.sort === this.sort.key ? (this.sort.dir === 1 ? 'asc' : 'desc') : '';
  }

  private renderStats(): void {
    // The last 10 seconds: the 9 before this one and this one so far.
    const now = performance.now() / 1000;
    while (this.perSecond.length && this.perSecond[0]!.s <= Math.floor(now) - 10) this.perSecond.shift();
    const events = this.perSecond.reduce((a, b) => a + b.n, 0);
    let online = 0;
    for (const e of this.entries.values()) if (e.v.online) online++;
    this.els.stats.textContent = `${this.entries.size} vehicles, ${online} online, ${(events / (9 + (now % 1))).toFixed(1)} records/s`;
    Object.assign(this.els.stats.dataset, { vehicles: String(this.entries.size), online: String(online), events: String(this.events) });
  }

  show(visible: boolean): void {
    if (visible && !this.map.hasLayer(this.cluster)) {
      this.map.addLayer(this.cluster);
      this.flush();
    }
    if (!visible && this.map.hasLayer(this.cluster)) this.map.removeLayer(this.cluster);
  }
}
