import type { TrackFormat } from '../formats/index.js';
import type { ColumnName } from '../store/columns.js';
import type { TripSegment } from '../trips.js';

/**
 * The messages between the server and a reader process (IPC, Node's advanced
 * serialization). Every request has an id the server chose. A document streams as
 * chunks under a credit window: the reader has at most WINDOW chunks out that the
 * server has not taken (`more` gives one back), so a slow HTTP client holds a few
 * chunks in memory, never a whole document.
 */
export const WINDOW = 4;

/**
 * Characters per document chunk from a reader: larger than the 64 Ki of a read in the
 * ingest process, so a day (6.7 MB as columns) crosses in 26 messages. Each costs the
 * ingest loop a turn; a chunk is written to the socket in about a millisecond.
 */
export const READER_CHUNK_CHARS = 256 * 1024;

/** The first message to a reader: the database to open (read-only). Sent over IPC, so a password never appears in `ps`. */
export interface OpenMessage {
  t: 'open';
  db: string;
}

export type ServerMessage =
  | OpenMessage
  /** `columns`: only those decoded columns (TrackOptions.columns). */
  | { t: 'document'; id: number; device: string; fromMs: number; toMs: number; format: TrackFormat; columns?: readonly ColumnName[] }
  | { t: 'trips'; id: number; device: string; fromMs: number; toMs: number }
  | { t: 'more'; id: number }
  | { t: 'cancel'; id: number };

export type ReaderMessage =
  | { t: 'ready' }
  /** The database could not be opened; the reader exits. */
  | { t: 'unavailable'; message: string }
  | { t: 'chunk'; id: number; text: string }
  | { t: 'end'; id: number }
  | { t: 'trips'; id: number; segments: TripSegment[] }
  | { t: 'fail'; id: number; message: string };

/** One end of the channel: Node's `process` in the reader, the ChildProcess in the server. */
export interface Channel<In, Out> {
  send(m: Out): unknown;
  on(event: 'message', f: (m: In) => void): unknown;
}
