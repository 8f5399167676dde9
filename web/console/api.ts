// The HTTP API as the page uses it: every request carries the operator token; a 401
// anywhere (wrong or revoked token) ends the session and shows the login again.

import type { Feature, GapProperties, LatestProperties, LinkDocument, LinkEventDocument, PositionProperties, SegmentDocument, TripsDocument, VehicleDocument } from '../../src/server/http/documents.js';

import { ColumnsStream, type ColumnTrack } from '../../src/server/formats/columns-decode.js';

export type { Feature };
export type PositionProps = PositionProperties;
export type GapProps = GapProperties;
export type LatestProps = LatestProperties;
export type Vehicle = VehicleDocument;
export type Segment = SegmentDocument;
export type Trips = TripsDocument;
export type LinkEvent = LinkEventDocument;
export type Link = LinkDocument;

export class Unauthorized extends Error {
  constructor() {
    super('the token was refused');
  }
}

export class Api {
  constructor(readonly token: string) {}

  private headers(): HeadersInit {
    return { authorization: `Bearer ${this.token}` };
  }

  async fetch(path: string, signal?: AbortSignal): Promise<Response> {
    const r = await fetch(path, { headers: this.headers(), signal, cache: 'no-store' });
    if (r.status === 401) throw new Unauthorized();
    if (!r.ok) {
      let why = `${r.status} ${r.statusText}`;
      try {
        const body = (await r.json()) as { error?: string };
        if (body.error) why = `${r.status}: ${body.error}`;
      } catch {
        // not JSON: keep the status line
      }
      throw new Error(`${path.split('?')[0]}: ${why}`);
    }
    return r;
  }

  async json<T>(path: string, signal?: AbortSignal): Promise<T> {
    return (await (await this.fetch(path, signal)).json()) as T;
  }

  vehicles(): Promise<{ vehicles: Vehicle[] }> {
    return this.json('/api/v1/vehicles');
  }

  vehicle(id: string): Promise<Vehicle> {
    return this.json(`/api/v1/vehicles/${encodeURIComponent(id)}`);
  }

  positionsPath(id: string, fromIso: string, toIso: string, format: 'geojson' | 'csv' | 'gpx' | 'columns', fields?: readonly string[]): string {
    return `/api/v1/vehicles/${encodeURIComponent(id)}/positions?from=${encodeURIComponent(fromIso)}&to=${encodeURIComponent(toIso)}&format=${format}${fields ? `&fields=${fields.join(',')}` : ''}`;
  }

  /**
   * The range's records and gaps in the columnar format (a tenth of the GeoJSON's bytes),
   * decoded block by block as the document arrives; with `fields`, only those fields
   * besides each record's key and times.
   */
  async track(id: string, fromIso: string, toIso: string, signal?: AbortSignal, fields?: readonly string[]): Promise<ColumnTrack> {
    const r = await this.fetch(this.positionsPath(id, fromIso, toIso, 'columns', fields), signal);
    const reader = r.body!.pipeThrough(new TextDecoderStream()).getReader();
    const doc = new ColumnsStream();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return doc.end();
      doc.push(value);
    }
  }

  link(id: string, fromIso: string, toIso: string, signal?: AbortSignal): Promise<Link> {
    return this.json(`/api/v1/vehicles/${encodeURIComponent(id)}/link?from=${encodeURIComponent(fromIso)}&to=${encodeURIComponent(toIso)}`, signal);
  }
}

export interface LiveEvent {
  event: string;
  data: string;
}

/** Splits a Server-Sent Events text stream into events (comments and retry lines skipped). */
export class SseParser {
  private buf = '';

  push(text: string): LiveEvent[] {
    this.buf += text.replace(/\r\n?/g, '\n');
    const out: LiveEvent[] = [];
    let i: number;
    while ((i = this.buf.indexOf('\n\n')) >= 0) {
      const block = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
        else if (line.startsWith('event:')) event = line.slice(6).trim();
      }
      if (data.length) out.push({ event, data: data.join('\n') });
    }
    return out;
  }
}

/**
 * The live feed through fetch streaming (EventSource cannot send the token header).
 * Reconnects 5 s after the stream ends or fails; `onOpen` runs at each (re)connect so
 * the caller can re-read what it may have missed.
 */
export function openLive(api: Api, o: { onEvent: (e: LiveEvent) => void; onOpen: () => void; onState: (s: 'open' | 'retrying') => void; onUnauthorized: () => void }): () => void {
  const ac = new AbortController();
  let stopped = false;
  const run = async (): Promise<void> => {
    while (!stopped) {
      try {
        const r = await api.fetch('/api/v1/live', ac.signal);
        o.onState('open');
        o.onOpen();
        const reader = r.body!.pipeThrough(new TextDecoderStream()).getReader();
        const parser = new SseParser();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const e of parser.push(value)) o.onEvent(e);
        }
      } catch (err) {
        if (stopped) return;
        if (err instanceof Unauthorized) {
          o.onUnauthorized();
          return;
        }
      }
      if (stopped) return;
      o.onState('retrying');
      await new Promise((r) => setTimeout(r, 5000));
    }
  };
  void run();
  return () => {
    stopped = true;
    ac.abort();
  };
}
