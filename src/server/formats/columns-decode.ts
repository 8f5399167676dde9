/**
 * Reads the columnar track format (columns.ts) back: every column as one array over the
 * whole track, and each record on demand as the properties the GeoJSON format gives its
 * feature (the same values, the same key order). No Node imports: the operator console
 * bundles it.
 */
import type { GapProperties, PositionProperties } from '../http/documents.js';
import { iso } from './chunks.js';

export type ColumnData = { d: number; v: (number | null)[] } | { r: [unknown, number][] };

export interface ColumnsDocument {
  type: 'geostream-columns';
  version: 1;
  vehicle: string;
  blocks: { n: number; columns: Record<string, ColumnData>; gaps: GapProperties[] }[];
}

export interface ColumnTrack {
  vehicle: string;
  /** Records. */
  n: number;
  /** Position's keys (timeMs, lat, ...) -> one value per record. */
  columns: Record<string, unknown[]>;
  gaps: GapProperties[];
}

function expand(name: string, c: ColumnData, n: number, out: unknown[]): void {
  const start = out.length;
  if ('d' in c) {
    let acc = 0;
    for (const x of c.v) {
      if (x === null) out.push(null);
      else {
        acc += x;
        out.push(acc / c.d);
      }
    }
  } else if ('r' in c) {
    for (const [v, k] of c.r) for (let i = 0; i < k; i++) out.push(v);
  }
  if (out.length - start !== n) throw new Error(`columns: column ${JSON.stringify(name)} has ${out.length - start} values for ${n} records`);
}

/** Blocks added one at a time into one array per column (a column a block lacks is null there). */
class TrackBuilder {
  private readonly columns: Record<string, unknown[]> = {};
  private readonly gaps: GapProperties[] = [];
  private n = 0;

  constructor(private readonly vehicle: string) {}

  add(b: ColumnsDocument['blocks'][number]): void {
    for (const [k, c] of Object.entries(b.columns)) {
      const out = (this.columns[k] ??= Array<unknown>(this.n).fill(null));
      if (out.length < this.n) out.push(...Array<unknown>(this.n - out.length).fill(null));
      expand(k, c, b.n, out);
    }
    this.n += b.n;
    this.gaps.push(...b.gaps);
  }

  finish(): ColumnTrack {
    for (const out of Object.values(this.columns)) if (out.length < this.n) out.push(...Array<unknown>(this.n - out.length).fill(null));
    return { vehicle: this.vehicle, n: this.n, columns: this.columns, gaps: this.gaps };
  }
}

const NOT_COLUMNS = 'not a geostream-columns version 1 document';

export function decodeColumns(doc: ColumnsDocument): ColumnTrack {
  if (doc?.type !== 'geostream-columns' || doc.version !== 1) throw new Error(NOT_COLUMNS);
  const t = new TrackBuilder(doc.vehicle);
  for (const b of doc.blocks) t.add(b);
  return t.finish();
}

/**
 * decodeColumns() on the document's text as it arrives, so the decoding is done when the
 * last byte is: the writer puts its head (up to "blocks":[), each block and the closing
 * ]} on lines of their own (JSON text has no raw newline inside a value). A document cut
 * short (no closing line) is an error, never a shorter track.
 */
export class ColumnsStream {
  private buf = '';
  private scanned = 0;
  private track: TrackBuilder | null = null;
  private blocks = 0;
  private closed = false;

  push(text: string): void {
    this.buf += text;
    for (let i: number; (i = this.buf.indexOf('\n', this.scanned)) >= 0; ) {
      this.line(this.buf.slice(0, i));
      this.buf = this.buf.slice(i + 1);
      this.scanned = 0;
    }
    this.scanned = this.buf.length;
  }

  /** The track, once the whole document has been pushed. */
  end(): ColumnTrack {
    if (this.buf.trim()) this.line(this.buf);
    this.buf = '';
    if (!this.track || !this.closed) throw new Error(`columns: the document ends after ${this.blocks} block(s), before its closing line`);
    return this.track.finish();
  }

  private line(text: string): void {
    const l = text.trim();
    if (!l) return;
    if (this.closed) throw new Error('columns: text after the closing line');
    if (!this.track) {
      let head: Partial<ColumnsDocument>;
      try {
        head = JSON.parse(`${l}]}`) as Partial<ColumnsDocument>;
      } catch {
        throw new Error(NOT_COLUMNS);
      }
      if (head?.type !== 'geostream-columns' || head.version !== 1 || typeof head.vehicle !== 'string') throw new Error(NOT_COLUMNS);
      this.track = new TrackBuilder(head.vehicle);
    } else if (l === ']}') this.closed = true;
    else {
      let b: ColumnsDocument['blocks'][number];
      try {
        b = JSON.parse(l.endsWith(',') ? l.slice(0, -1) : l) as ColumnsDocument['blocks'][number];
      } catch {
        throw new Error(`columns: block ${this.blocks + 1} is not JSON`);
      }
      if (typeof b?.n !== 'number' || typeof b.columns !== 'object' || b.columns === null || !Array.isArray(b.gaps)) throw new Error(`columns: block ${this.blocks + 1} is not a block (n, columns, gaps)`);
      this.track.add(b);
      this.blocks++;
    }
  }
}

/** Record i as its GeoJSON feature's properties. */
export function positionAt(t: ColumnTrack, i: number): PositionProperties {
  const p: Record<string, unknown> = { kind: 'position', device: t.vehicle };
  for (const k in t.columns) {
    const v = t.columns[k]![i];
    if (k === 'timeMs') p.time = iso(v as number);
    else if (k === 'receivedMs') p.received = iso(v as number);
    else p[k] = v;
  }
  return p as PositionProperties;
}
