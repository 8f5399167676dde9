import type { TrackReads } from './track-reads.js';
import { WINDOW, type Channel, type ReaderMessage, type ServerMessage } from './wire.js';

interface Running {
  credit: number;
  cancelled: boolean;
  wake: (() => void) | null;
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * The reader process's side: answers each request on `channel` from `reads`, many
 * at once (each document is read a page at a time, so they interleave). A document
 * is produced only as fast as the server takes it (the credit window); `cancel`
 * stops it and closes its query.
 */
export function serveReads(channel: Channel<ServerMessage, ReaderMessage>, reads: TrackReads): { readonly running: number } {
  const running = new Map<number, Running>();

  const document = async (id: number, chunks: AsyncIterable<string>): Promise<void> => {
    const r: Running = { credit: WINDOW, cancelled: false, wake: null };
    running.set(id, r);
    const it = chunks[Symbol.asyncIterator]();
    try {
      for (;;) {
        while (r.credit === 0 && !r.cancelled) await new Promise<void>((resolve) => (r.wake = resolve));
        if (r.cancelled) break;
        const next = await it.next();
        if (next.done) {
          channel.send({ t: 'end', id });
          return;
        }
        r.credit--;
        channel.send({ t: 'chunk', id, text: next.value });
      }
      await it.return?.();
    } catch (err) {
      await it.return?.().catch(() => {});
      if (!r.cancelled) channel.send({ t: 'fail', id, message: messageOf(err) });
    } finally {
      running.delete(id);
    }
  };

  channel.on('message', (m) => {
    switch (m.t) {
      case 'document':
        void document(m.id, reads.document(m.device, m.fromMs, m.toMs, m.format, m.columns));
        return;
      case 'trips':
        reads.trips(m.device, m.fromMs, m.toMs).then(
          (segments) => channel.send({ t: 'trips', id: m.id, segments }),
          (err: unknown) => channel.send({ t: 'fail', id: m.id, message: messageOf(err) }),
        );
        return;
      case 'more':
      case 'cancel': {
        const r = running.get(m.id);
        if (!r) return;
        if (m.t === 'more') r.credit++;
        else r.cancelled = true;
        const wake = r.wake;
        r.wake = null;
        wake?.();
        return;
      }
      case 'open':
        return;
    }
  });
  return {
    get running() {
      return running.size;
    },
  };
}
