import type { TrackItem } from '../store/query.js';
import { Chunker, type FormatSpec } from './chunks.js';
import { columns } from './columns.js';
import { csv } from './csv.js';
import { geojson } from './geojson.js';
import { gpx } from './gpx.js';

export type { FormatSpec, TrackEncoder } from './chunks.js';

/** The formats a track can be written in, by the name `format=` / `--format` takes. */
export const FORMATS = { geojson, csv, gpx, columns } as const;
export type TrackFormat = keyof typeof FORMATS;
export const TRACK_FORMATS = Object.keys(FORMATS) as TrackFormat[];

export function isTrackFormat(s: string): s is TrackFormat {
  return Object.hasOwn(FORMATS, s);
}

/**
 * The whole document for `pages` of items (time order) as text chunks of about 64 KiB:
 * one page is held at a time, so memory stays flat however long the track.
 */
export async function* formatTrack(format: TrackFormat, pages: AsyncIterable<readonly TrackItem[]>, meta: { device: string }, chunkSize?: number): AsyncGenerator<string> {
  const spec: FormatSpec = FORMATS[format];
  const enc = spec.encoder(meta);
  const chunks = new Chunker(chunkSize);
  const head = chunks.push(enc.head());
  if (head !== null) yield head;
  for await (const page of pages) {
    for (const item of page) {
      const full = chunks.push(enc.item(item));
      if (full !== null) yield full;
    }
  }
  const last = chunks.push(enc.tail());
  yield last ?? chunks.take();
}
