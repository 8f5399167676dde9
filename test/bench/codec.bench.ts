/**
 * Codec benchmark on the real drives in ../shared/data/drive/ (see SOURCES.md
 * there). Prints, side by side in one run:
 *  - bytes per record: JSON lines, our single record (GNSS only, and GNSS +
 *    sensors), our batches of 60, the product example's 5-field schema
 *    (vehicle id, lat, lon, speed, time) in protobuf-style varint encoding and in
 *    ours, and Teltonika Codec 8 with the same data + 11 IO elements (the two
 *    reference encoders are written below, from the public format descriptions);
 *  - encode/decode records per second against JSON.stringify/JSON.parse of the
 *    same records, as ratios measured in this run.
 * The drives carry no engine or cabin data: sensor values are SYNTHETIC, shaped
 * like what src/sensors produces on the truck board (engine values sampled every
 * 1 s with sensor noise at the schema's resolution, six tyres every 10 s, cabin
 * every 30 s; the assumptions are in test/support/codec-drive.ts).
 */
import { decodeBatch, decodeRecord, decodeRecordWith, defineSchema, encodeBatch, encodeRecord, encodeRecordWith, TELEMETRY_V1, type TelemetryRecord } from '../../src/codec/index.js';
import { recordFromFix, recordToFixJson } from '../../src/telemetry/fix-record.js';
import { type Fix } from '../../src/telemetry/fix-json.js';
import { allDrives, withSyntheticSensors } from '../support/codec-drive.js';
import { Encoder } from 'cbor-x';
import { decodeCbor, type CborMap } from '../../src/codec/cbor-reader.js';

const plainCbor = new Encoder({ useRecords: false, mapsAsObjects: false, tagUint8Array: false });

const SEQ0 = 1_000_000; // a device some weeks into service: seq takes 5 bytes
const VEHICLE_ID = 'TRK-0042';

// ---------- reference 1: the example's 5 fields, protobuf wire format ----------
// message GeoTelemetry { string vehicle_id = 1; double lat = 2; double lon = 3; float speed = 4; int64 time = 5; }
class ProtoWriter {
  bytes: number[] = [];
  varint(v: number): void {
    while (v >= 128) {
      this.bytes.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    this.bytes.push(v);
  }
  key(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }
  fixed(v: number, kind: 'f32' | 'f64'): void {
    const b = Buffer.alloc(kind === 'f32' ? 4 : 8);
    if (kind === 'f32') b.writeFloatLE(v);
    else b.writeDoubleLE(v);
    this.bytes.push(...b);
  }
}
function protobuf5(f: Fix): Uint8Array {
  const w = new ProtoWriter();
  const id = Buffer.from(VEHICLE_ID);
  w.key(1, 2);
  w.varint(id.length);
  w.bytes.push(...id);
  if (f.lat !== null) { w.key(2, 1); w.fixed(f.lat, 'f64'); }
  if (f.lon !== null) { w.key(3, 1); w.fixed(f.lon, 'f64'); }
  if (f.speed) { w.key(4, 5); w.fixed(f.speed, 'f32'); } // proto3 omits a default 0
  w.key(5, 0);
  w.varint(f.timeMs);
  return Uint8Array.from(w.bytes);
}

// ---------- our encoding of the same 5 fields (vehicle id belongs to the connection) ----------
const GEO5 = defineSchema('GeoTelemetry', 1, {
  lat: { tag: 1, type: 'fixed', base: 'int32', scale: 1e7 },
  lon: { tag: 2, type: 'fixed', base: 'int32', scale: 1e7 },
  speed: { tag: 3, type: 'fixed', base: 'uint32', scale: 100 },
  t: { tag: 4, type: 'uint32', required: true },
  ms: { tag: 5, type: 'uint16', max: 999 },
});
const geo5 = (f: Fix) => ({ lat: f.lat, lon: f.lon, speed: f.speed, t: Math.floor(f.timeMs / 1000), ms: f.timeMs % 1000 || undefined });

// ---------- reference 2: Teltonika Codec 8 ----------
// AVL record: timestamp u64 ms, priority u8, GPS element (lon i32 1e-7, lat i32, alt i16 m,
// angle u16 deg, sats u8, speed u16 km/h), IO element (event id u8, total u8, then for value
// sizes 1, 2, 4, 8: count u8 and (id u8, value) pairs). Packet: 4 zero bytes, data length u32,
// codec id 0x08, record count u8, records, record count u8, CRC-16/IBM as u32.
function crc16ibm(b: Uint8Array): number {
  let crc = 0;
  for (const x of b) {
    crc ^= x;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}
function teltonikaRecord(r: TelemetryRecord): Buffer {
  // The 11 IO elements (ids illustrative): 1-byte ignition, movement, fuel %, humidity %;
  // 2-byte battery mV, rpm, coolant 0.1 C, oil kPa, cabin 0.1 C, HDOP 0.1; 4-byte fault bits.
  const io1: [number, number][] = [[239, r.ignition ? 1 : 0], [240, (r.speedCms ?? 0) > 50 ? 1 : 0], [89, Math.round((r.fuelPm ?? 0) / 10)], [211, Math.round((r.humidityPm ?? 0) / 10)]];
  const io2: [number, number][] = [[66, r.batteryMv ?? 0], [85, r.rpm ?? 0], [32, (r.coolantDc ?? 0) & 0xffff], [208, r.oilKpa ?? 0], [72, (r.cabinDc ?? 0) & 0xffff], [182, Math.round((r.hdopC ?? 0) / 10)]];
  const io4: [number, number][] = [[210, r.faults ?? 0]];
  const b = Buffer.alloc(8 + 1 + 15 + 2 + 1 + io1.length * 2 + 1 + io2.length * 3 + 1 + io4.length * 5 + 1);
  let p = b.writeBigUInt64BE(BigInt(r.timeMs), 0);
  p = b.writeUInt8(0, p);
  p = b.writeInt32BE(r.lon7 ?? 0, p);
  p = b.writeInt32BE(r.lat7 ?? 0, p);
  p = b.writeInt16BE(Math.round((r.altDm ?? 0) / 10), p);
  p = b.writeUInt16BE(Math.round((r.courseCdeg ?? 0) / 100) % 360, p);
  p = b.writeUInt8(r.sats ?? 0, p);
  p = b.writeUInt16BE(Math.round(((r.speedCms ?? 0) * 3.6) / 100), p);
  p = b.writeUInt8(0, p);
  p = b.writeUInt8(io1.length + io2.length + io4.length, p);
  p = b.writeUInt8(io1.length, p);
  for (const [id, v] of io1) p = b.writeUInt8(v, b.writeUInt8(id, p));
  p = b.writeUInt8(io2.length, p);
  for (const [id, v] of io2) p = b.writeUInt16BE(v, b.writeUInt8(id, p));
  p = b.writeUInt8(io4.length, p);
  for (const [id, v] of io4) p = b.writeUInt32BE(v >>> 0, b.writeUInt8(id, p));
  p = b.writeUInt8(0, p); // N8
  if (p !== b.length) throw new Error('teltonika record length');
  return b;
}
function teltonikaPacket(rs: TelemetryRecord[]): Buffer {
  const data = Buffer.concat([Buffer.from([0x08, rs.length]), ...rs.map(teltonikaRecord), Buffer.from([rs.length])]);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 4);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc16ibm(data));
  return Buffer.concat([head, data, crc]);
}

// ---------- data ----------
interface Drive { name: string; hz: string; fixes: Fix[]; gnss: TelemetryRecord[]; full: TelemetryRecord[] }
const drives: Drive[] = allDrives().map(([name, fixes]) => {
  const gnss = fixes.map((f, i) => recordFromFix(f, SEQ0 + i));
  return { name: name.split('_').slice(0, 2).join('_'), hz: name.includes('0p5hz') ? '0.5 Hz' : '1 Hz', fixes, gnss, full: gnss.map((r, i) => withSyntheticSensors(r, i)) };
});

function perRecord<T>(items: T[], size: (x: T) => number): number {
  let total = 0;
  for (const x of items) total += size(x);
  return total / items.length;
}
function chunks<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i + n <= xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}
/** Windows of 60 consecutive records where the vehicle moves (mean speed > 5 m/s). */
function drivingBatches(rs: TelemetryRecord[]): TelemetryRecord[][] {
  return chunks(rs, 60).filter((c) => c.reduce((s, r) => s + (r.speedCms ?? 0), 0) / c.length > 500);
}
const batchBytes = (bs: TelemetryRecord[][], enc: (b: TelemetryRecord[]) => number) => {
  const n = bs.reduce((s, b) => s + b.length, 0);
  return n ? bs.reduce((s, b) => s + enc(b), 0) / n : NaN;
};

const rows: [string, (d: Drive) => number, string?][] = [
  ['JSON line (geostream nmea)', (d) => perRecord(d.gnss, (r) => JSON.stringify(recordToFixJson(r)).length + 1)],
  ['JSON of full record', (d) => perRecord(d.full, (r) => JSON.stringify(r).length + 1)],
  ['5 fields: protobuf-style', (d) => perRecord(d.fixes, (f) => protobuf5(f).length)],
  ['5 fields: ours (no vehicle id)', (d) => perRecord(d.fixes, (f) => encodeRecordWith(GEO5, geo5(f)).length), '<= 24'],
  ['single: v1 GNSS only', (d) => perRecord(d.gnss, (r) => encodeRecord(r).length)],
  ['single: v1 GNSS + sensors', (d) => perRecord(d.full, (r) => encodeRecord(r).length), '<= 48'],
  ['Teltonika C8 record (11 IO)', (d) => perRecord(d.full, (r) => teltonikaRecord(r).length)],
  ['Teltonika C8 1-record packet', (d) => perRecord(d.full, (r) => teltonikaPacket([r]).length)],
  ['batch 60: GNSS only', (d) => batchBytes(chunks(d.gnss, 60), (b) => encodeBatch(b).length)],
  ['batch 60: GNSS, driving', (d) => batchBytes(drivingBatches(d.gnss), (b) => encodeBatch(b).length), '<= 8 @1 Hz'],
  ['batch 60: GNSS + sensors', (d) => batchBytes(chunks(d.full, 60), (b) => encodeBatch(b).length)],
  ['batch 60: + sensors, driving', (d) => batchBytes(drivingBatches(d.full), (b) => encodeBatch(b).length), '<= 8 @1 Hz'],
  ['Teltonika C8 60-record packet', (d) => batchBytes(chunks(d.full, 60), (b) => teltonikaPacket(b).length)],
];

console.log('bytes per record (real drives; sensor values synthetic, with noise; seq from 1,000,000)');
const w0 = 31;
console.log(`${''.padEnd(w0)}${drives.map((d) => `${d.name} ${d.hz}`.padStart(26)).join('')}   target`);
console.log(`${'records'.padEnd(w0)}${drives.map((d) => String(d.gnss.length).padStart(26)).join('')}`);
const sizes = new Map<string, number[]>();
for (const [label, f, target] of rows) {
  const vals = drives.map(f);
  sizes.set(label, vals);
  console.log(`${label.padEnd(w0)}${vals.map((v) => (Number.isNaN(v) ? '-' : v.toFixed(2)).padStart(26)).join('')}   ${target ?? ''}`);
}
const ratio = (a: string, b: string) => drives.map((_, i) => (sizes.get(a)![i]! / sizes.get(b)![i]!).toFixed(2)).join(' / ');
console.log(`\nratios (per drive, in the column order above):`);
console.log(`  5 fields, ours / protobuf-style:            ${ratio('5 fields: ours (no vehicle id)', '5 fields: protobuf-style')}`);
console.log(`  full single, ours / Teltonika record:       ${ratio('single: v1 GNSS + sensors', 'Teltonika C8 record (11 IO)')}`);
console.log(`  batch 60 + sensors, ours / Teltonika 60:    ${ratio('batch 60: GNSS + sensors', 'Teltonika C8 60-record packet')}`);
console.log(`  batch 60 + sensors, ours / JSON full:       ${ratio('batch 60: GNSS + sensors', 'JSON of full record')}`);

// ---------- where the bytes of a batch go ----------
{
  const d = drives[0]!;
  const names = new Map(TELEMETRY_V1.fields.map((f) => [f.tag, f.name]));
  const perField = new Map<string, number>();
  const methods = new Map<string, Set<number>>();
  let n = 0;
  let total = 0;
  for (const b of chunks(d.full, 60)) {
    const bytes = encodeBatch(b);
    total += bytes.length;
    n += b.length;
    const cols = (decodeCbor(bytes) as CborMap)[3] as CborMap;
    for (const [tag, col] of Object.entries(cols)) {
      const name = names.get(Number(tag))!;
      // Canonical CBOR: re-encoding a column gives its exact size (+1 for its one-byte key).
      perField.set(name, (perField.get(name) ?? 0) + plainCbor.encode(col).length + 1);
      methods.set(name, (methods.get(name) ?? new Set()).add((col as number[])[0]!));
    }
  }
  const METHOD = ['raw', 'rle', 'bits', 'varint', 'rice', 'items'];
  console.log(`\nbatch of 60 on ${d.name}, GNSS + sensors: ${(total / n).toFixed(2)} B/record, by column (coding used):`);
  console.log(`  ${[...perField].map(([k, v]) => `${k} ${(v / n).toFixed(2)} (${[...methods.get(k)!].sort().map((m) => METHOD[m]).join('/')})`).join(', ')}`);
  console.log(`  batch header ${((total - [...perField.values()].reduce((a, b) => a + b, 0)) / n).toFixed(2)}`);
}

// ---------- single record: layouts considered for the <= 48 B target ----------
// Sized with plain cbor-x (canonical CBOR maps keyed by tags), not wire formats we
// ship: they show what each idea would save while keeping a record a CBOR map of
// items any decoder reads. Coarser resolutions are J1939-like (SPN 110 coolant
// 1 degC, SPN 100 oil 4 kPa, SPN 96 fuel 0.4 % ~ 0.5 % here, SPN 241 tyres 4 kPa).
{
  type Alt = [string, (r: TelemetryRecord) => number];
  const put = (m: Map<number, unknown>, k: number, v: unknown) => (v === null || v === undefined ? m : m.set(k, v));
  const sz = (m: Map<number, unknown>) => plainCbor.encode(m).length;
  const div = (v: number | null, d: number) => (v === null ? null : Math.round(v / d));
  const gnss = (r: TelemetryRecord, coarse: boolean) => {
    const m = new Map<number, unknown>([[1, r.seq], [2, Math.floor(r.timeMs / 1000)]]);
    put(m, 4, r.lat7);
    put(m, 5, r.lon7);
    put(m, 6, coarse ? div(r.altDm, 10) : r.altDm);
    put(m, 7, coarse ? div(r.speedCms, 10) : r.speedCms);
    put(m, 8, coarse ? div(r.courseCdeg, 100) : r.courseCdeg);
    put(m, 9, r.mode);
    put(m, 10, r.sats);
    return put(m, 11, coarse ? div(r.hdopC, 10) : r.hdopC);
  };
  const vehicle = (r: TelemetryRecord, coarse: boolean): unknown[] => (coarse
    ? [div(r.batteryMv!, 100), div(r.rpm!, 10), div(r.coolantDc!, 10), div(r.oilKpa!, 4), div(r.fuelPm!, 5), r.tyresKpa!.map((t) => div(t, 4)), div(r.cabinDc!, 5), div(r.humidityPm!, 10), r.ignition, r.faults]
    : [r.batteryMv, r.rpm, r.coolantDc, r.oilKpa, r.fuelPm, r.tyresKpa, r.cabinDc, r.humidityPm, r.ignition, r.faults]);
  const alts: Alt[] = [
    ['v1 as shipped', (r) => encodeRecord(r).length],
    ['A vehicle values as one array, one tag', (r) => sz(gnss(r, false).set(22, vehicle(r, false)))],
    ['B A + J1939-like vehicle resolutions', (r) => sz(gnss(r, false).set(22, vehicle(r, true)))],
    ['C B + alt m, speed dm/s, course deg, HDOP 0.1', (r) => sz(gnss(r, true).set(22, vehicle(r, true)))],
    // Any t from 65,536 s (18 h) to 2^32 s takes 5 bytes, so a recent epoch saves nothing.
    ['D C + t in s since 2020-01-01', (r) => sz(gnss(r, true).set(2, Math.floor(r.timeMs / 1000) - 1_577_836_800).set(22, vehicle(r, true)))],
    ['floor: seq, t, lat, lon alone', (r) => sz(new Map<number, unknown>([[1, r.seq], [2, Math.floor(r.timeMs / 1000)], [4, r.lat7], [5, r.lon7]]))],
  ];
  console.log(`\nsingle record with sensors (six tyres): layouts considered, B/record (target <= 48)`);
  for (const [label, f] of alts) console.log(`  ${label.padEnd(w0 + 16)}${drives.map((d) => perRecord(d.full, f).toFixed(1).padStart(8)).join('')}`);
}

// ---------- speed ----------
const sample = drives.flatMap((d) => d.full);
const jsons = sample.map((r) => JSON.stringify(r));
const singles = sample.map(encodeRecord);
const batches = chunks(sample, 60);
const batchBins = batches.map(encodeBatch);
let sink = 0;

/**
 * Records per CPU-second (process.cpuUsage, so time spent descheduled on a busy
 * machine does not count): each contender runs rounds of about 100 ms CPU,
 * interleaved with the others, best of 7.
 */
function rates(contenders: [string, number, () => void][]): Map<string, number> {
  const best = new Map<string, number>();
  for (let round = 0; round < 7; round++) {
    for (const [name, count, fn] of contenders) {
      let n = 0;
      const t0 = process.cpuUsage();
      let us = 0;
      while (us < 100_000) {
        fn();
        n += count;
        const d = process.cpuUsage(t0);
        us = d.user + d.system;
      }
      best.set(name, Math.max(best.get(name) ?? 0, n / (us / 1e6)));
    }
  }
  return best;
}
const geo = sample.map((r) => ({ lat: r.lat7! / 1e7, lon: r.lon7! / 1e7, speed: r.speedCms! / 100, t: Math.floor(r.timeMs / 1000) }));
const geoJson = geo.map((g) => JSON.stringify(g));
const geoBins = geo.map((g) => encodeRecordWith(GEO5, g));
const enc = rates([
  ['JSON.stringify', sample.length, () => { for (const r of sample) sink += JSON.stringify(r).length; }],
  ['single records', sample.length, () => { for (const r of sample) sink += encodeRecord(r).length; }],
  ['batches of 60', batches.length * 60, () => { for (const b of batches) sink += encodeBatch(b).length; }],
]);
const dec = rates([
  ['JSON.parse', sample.length, () => { for (const s of jsons) sink += (JSON.parse(s) as TelemetryRecord).seq; }],
  ['single records', sample.length, () => { for (const b of singles) sink += decodeRecord(b).seq; }],
  ['batches of 60', batches.length * 60, () => { for (const b of batchBins) sink += decodeBatch(b).length; }],
]);
const enc5 = rates([
  ['JSON.stringify', geo.length, () => { for (const g of geo) sink += JSON.stringify(g).length; }],
  ['5-field records', geo.length, () => { for (const g of geo) sink += encodeRecordWith(GEO5, g).length; }],
]);
const dec5 = rates([
  ['JSON.parse', geo.length, () => { for (const s of geoJson) sink += (JSON.parse(s) as { t: number }).t; }],
  ['5-field records', geo.length, () => { for (const b of geoBins) sink += decodeRecordWith(GEO5, b).t as number; }],
]);
console.log(`\nspeed (records per CPU-second, best of 7 interleaved rounds; node ${process.version} ${process.arch})`);
const show = (title: string, m: Map<string, number>) => {
  const baseline = [...m.values()][0]!;
  console.log(`  ${title}`);
  for (const [name, r] of m) console.log(`    ${name.padEnd(22)}${Math.round(r).toLocaleString('en').padStart(12)}/s   ${(r / baseline).toFixed(2)}x JSON`);
};
show('encode, GNSS + sensor records (telemetry v1)', enc);
show('decode, GNSS + sensor records (telemetry v1)', dec);
show('encode, the 5-field schema', enc5);
show('decode, the 5-field schema', dec5);
if (sink === 42) console.log('');
