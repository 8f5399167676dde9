import { describe, expect, it } from 'vitest';
import { serveReads } from '../../../src/server/reads/serve.js';
import type { TrackReads } from '../../../src/server/reads/track-reads.js';
import { WINDOW, type ReaderMessage, type ServerMessage } from '../../../src/server/reads/wire.js';
import type { TripSegment } from '../../../src/server/trips.js';

/** A channel whose sent messages are kept and whose incoming ones the test delivers. */
function channel() {
  const sent: ReaderMessage[] = [];
  let deliver: (m: ServerMessage) => void = () => {};
  return {
    sent,
    ch: { send: (m: ReaderMessage) => sent.push(m), on: (_e: 'message', f: (m: ServerMessage) => void) => (deliver = f) },
    deliver: (m: ServerMessage) => deliver(m),
  };
}

const turns = async (n = 20) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/** Reads whose document is `chunks` numbered chunks, counting how many were produced and whether the source was closed. */
function countingReads(chunks: number, trips: TripSegment[] = [], fail?: string) {
  const state = { produced: 0, closed: false };
  const reads: TrackReads = {
    async *document() {
      try {
        for (let i = 0; i < chunks; i++) {
          if (fail && i === 2) throw new Error(fail);
          state.produced++;
          yield `chunk ${i};`;
        }
      } finally {
        state.closed = true;
      }
    },
    trips: () => (fail ? Promise.reject(new Error(fail)) : Promise.resolve(trips)),
  };
  return { reads, state };
}

const chunksOf = (sent: ReaderMessage[], id: number) => sent.filter((m) => m.t === 'chunk' && m.id === id);

describe('serveReads (the reader process side)', () => {
  it('sends no more than the credit window ahead, one more for each `more`, then the end', async () => {
    const c = channel();
    const { reads, state } = countingReads(10);
    serveReads(c.ch, reads);
    c.deliver({ t: 'document', id: 7, device: 'v', fromMs: 0, toMs: 1, format: 'csv' });
    await turns();
    expect(chunksOf(c.sent, 7)).toHaveLength(WINDOW);
    // the source itself is not read ahead of the window either
    expect(state.produced).toBeLessThanOrEqual(WINDOW + 1);
    c.deliver({ t: 'more', id: 7 });
    await turns();
    expect(chunksOf(c.sent, 7)).toHaveLength(WINDOW + 1);
    for (let i = 0; i < 10; i++) c.deliver({ t: 'more', id: 7 });
    await turns();
    expect(chunksOf(c.sent, 7).map((m) => (m as { text: string }).text)).toEqual(Array.from({ length: 10 }, (_, i) => `chunk ${i};`));
    expect(c.sent[c.sent.length - 1]).toEqual({ t: 'end', id: 7 });
    expect(state.closed).toBe(true);
  });

  it('cancel stops a document and closes its source; nothing more is sent for it', async () => {
    const c = channel();
    const { reads, state } = countingReads(1000);
    const s = serveReads(c.ch, reads);
    c.deliver({ t: 'document', id: 1, device: 'v', fromMs: 0, toMs: 1, format: 'csv' });
    await turns();
    expect(s.running).toBe(1);
    c.deliver({ t: 'cancel', id: 1 });
    await turns();
    expect(s.running).toBe(0);
    expect(state.closed).toBe(true);
    const n = c.sent.length;
    c.deliver({ t: 'more', id: 1 });
    await turns();
    expect(c.sent.length).toBe(n);
    expect(c.sent.some((m) => m.t === 'end' || m.t === 'fail')).toBe(false);
  });

  it('a read that throws is a `fail` naming the error, and other requests go on', async () => {
    const c = channel();
    const bad = countingReads(10, [], 'database disk image is malformed');
    const good = countingReads(2);
    serveReads(c.ch, { document: (d, ...rest) => (d === 'bad' ? bad.reads : good.reads).document(d, ...rest), trips: bad.reads.trips });
    c.deliver({ t: 'document', id: 1, device: 'bad', fromMs: 0, toMs: 1, format: 'csv' });
    c.deliver({ t: 'document', id: 2, device: 'good', fromMs: 0, toMs: 1, format: 'csv' });
    c.deliver({ t: 'trips', id: 3, device: 'bad', fromMs: 0, toMs: 1 });
    await turns();
    for (let i = 0; i < 4; i++) c.deliver({ t: 'more', id: 1 });
    await turns();
    expect(c.sent).toContainEqual({ t: 'fail', id: 1, message: 'database disk image is malformed' });
    expect(c.sent).toContainEqual({ t: 'fail', id: 3, message: 'database disk image is malformed' });
    expect(c.sent).toContainEqual({ t: 'end', id: 2 });
    expect(chunksOf(c.sent, 2)).toHaveLength(2);
  });

  it('answers trips with the segments', async () => {
    const c = channel();
    const seg = { kind: 'stop', start: { timeMs: 1, lat: 2, lon: 3 }, end: { timeMs: 4, lat: 2, lon: 3 }, durationMs: 3, ongoing: false } as unknown as TripSegment;
    serveReads(c.ch, countingReads(0, [seg]).reads);
    c.deliver({ t: 'trips', id: 9, device: 'v', fromMs: 0, toMs: 1 });
    await turns();
    expect(c.sent).toEqual([{ t: 'trips', id: 9, segments: [seg] }]);
  });
});
