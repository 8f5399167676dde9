import { UsageError } from '../base/errors.js';
import type { CliIO } from './command.js';
import { openStoreReadOnly, type AnyStore } from '../server/store/open.js';
import { localReads } from '../server/reads/track-reads.js';
import { serveReads } from '../server/reads/serve.js';
import { READER_CHUNK_CHARS, type Channel, type ReaderMessage, type ServerMessage } from '../server/reads/wire.js';

export const readerUsage = `Usage: geostream server reader

Started by 'geostream server --http' (one per --http-readers), never by hand: reads
tracks and trips for the HTTP API from its own read-only connection to the
database, told over its IPC channel. Exits when the server does.`;

/**
 * The reader process: waits for the database on its IPC channel, opens it read-only,
 * then answers reads until the server closes the channel (or dies: the channel closes
 * with it). Ctrl-C in a terminal reaches the whole process group; the server decides
 * when its readers stop, so SIGINT is ignored here.
 */
export async function runReader(argv: string[], io: CliIO): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(`${readerUsage}\n`);
    return 0;
  }
  if (!process.send || !process.connected) throw new UsageError("'geostream server reader' is started by 'geostream server --http' over an IPC channel, not by hand");
  if (argv.length) throw new UsageError(`'geostream server reader' takes no arguments (got ${JSON.stringify(argv[0]!.slice(0, 40))})`);
  const channel = process as unknown as Channel<ServerMessage, ReaderMessage> & NodeJS.Process;
  process.on('SIGINT', () => {});
  const db = await new Promise<string>((resolve) => {
    const first = (m: ServerMessage) => {
      if (m.t !== 'open') return;
      process.off('message', first);
      resolve(m.db);
    };
    process.on('message', first);
  });
  let store: AnyStore;
  try {
    store = await openStoreReadOnly(db);
  } catch (err) {
    channel.send({ t: 'unavailable', message: (err as Error).message });
    process.disconnect();
    return 1;
  }
  serveReads(channel, localReads(store, READER_CHUNK_CHARS));
  channel.send({ t: 'ready' });
  await new Promise<void>((resolve) => process.once('disconnect', resolve));
  await store.close();
  return 0;
}
