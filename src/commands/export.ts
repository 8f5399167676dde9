import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseCommandArgs, type Command } from './command.js';
import { UsageError } from '../base/errors.js';
import { VEHICLE_ID_RE } from '../tls/identity.js';
import { formatTrack, isTrackFormat, TRACK_FORMATS } from '../server/formats/index.js';
import { parseTime } from '../server/http/params.js';
import { dbLabel, openStoreReadOnly } from '../server/store/open.js';

const usage = `Usage: geostream export --db FILE|URL --vehicle ID [--from TIME] [--to TIME]
                        [--format geojson|csv|gpx|columns] [--out FILE]

Writes one vehicle's stored positions with fix time in [--from, --to) and the gaps
in them, in time order: the same documents as the HTTP API's
/api/v1/vehicles/ID/positions. Streamed: memory stays flat for any range.

Options:
  --db FILE|URL    ingest database of 'geostream server' (opened read-only): a
                   SQLite file or a postgres:// URL
  --vehicle ID     vehicle id (as in its certificate)
  --from TIME      ISO 8601 date or date-time with a zone (2026-05-01,
                   2026-05-01T08:00:00Z); default: the first record
  --to TIME        end, exclusive; default: everything after --from
  --format NAME    ${TRACK_FORMATS.join(' | ')} (default geojson): a GeoJSON
                   FeatureCollection (a gap is a feature of kind "gap"), CSV with a
                   header row (a gap is a row of kind "gap"), a GPX 1.1 track (a
                   new segment after each gap), or columnar JSON (docs/DATA.md)
  --out FILE       write here instead of standard output`;

/** An ISO time option as the API parses it, with the option's name in the error. */
function timeOption(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  try {
    return parseTime(name, v);
  } catch (err) {
    throw new UsageError(`--${(err as Error).message}`);
  }
}

async function write(out: NodeJS.WritableStream, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

export const exportCommand: Command = {
  name: 'export',
  summary: "write one vehicle's stored track as GeoJSON, CSV or GPX",
  usage,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { db: { type: 'string' }, vehicle: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } }, false);
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return 0;
    }
    if (!values.db) throw new UsageError('--db FILE|URL is required');
    if (!values.vehicle) throw new UsageError('--vehicle ID is required');
    if (!VEHICLE_ID_RE.test(values.vehicle)) throw new UsageError(`--vehicle: ${JSON.stringify(values.vehicle.slice(0, 70))} is not a vehicle id (1-64 letters, digits, '.', '_' or '-')`);
    const format = values.format ?? 'geojson';
    if (!isTrackFormat(format)) throw new UsageError(`--format: expected one of ${TRACK_FORMATS.join(', ')}, got ${JSON.stringify(format.slice(0, 40))}`);
    const fromMs = timeOption('from', values.from, 0);
    const toMs = timeOption('to', values.to, 2 ** 32 * 1000);
    if (fromMs >= toMs) throw new UsageError(`--from (${new Date(fromMs).toISOString()}) must be before --to (${new Date(toMs).toISOString()})`);
    const store = await openStoreReadOnly(values.db);
    try {
      if (!(await store.vehicle(values.vehicle))) throw new Error(`${dbLabel(values.db)}: no vehicle '${values.vehicle}' (see 'geostream server stats --db ${dbLabel(values.db)}')`);
      const out = values.out ? createWriteStream(values.out, { mode: 0o600 }) : io.stdout;
      for await (const chunk of formatTrack(format, store.trackPages(values.vehicle, fromMs, toMs), { device: values.vehicle })) await write(out, chunk);
      if (values.out) {
        const file = out as ReturnType<typeof createWriteStream>;
        file.end();
        await once(file, 'close');
      }
    } finally {
      await store.close();
    }
    return 0;
  },
};
