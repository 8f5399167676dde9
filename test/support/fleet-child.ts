/**
 * The load generator's fleet in a process of its own (started by fleet-proc.ts over an
 * IPC channel): GS_FLEET's vehicles, each a DeviceLink with its own QUIC connection,
 * certificate and TimedSpool, joining in waves. Orders from the parent: `drive` (one
 * record per second each, circling a grid around a point), `take` (the fix->ack
 * latencies since the last take: count, p50, p99), `park` (stop every link, then exit).
 */
import { DeviceLink } from '../../src/link/device.js';
import { createEngine, DEFAULT_ENGINE } from '../../src/quic/engines.js';
import { issueCert } from '../../src/tls/ca.js';
import { deviceTls } from '../../src/tls/material.js';
import { silentLogger } from '../../src/base/log.js';
import { systemClock } from '../../src/base/clock.js';
import { codecBatchPacker } from '../../src/telemetry/record-codec.js';
import { drive, grow, parkAll, pct, type Place, type Vehicle } from './bench-fleet.js';
import type { FleetOrder, FleetReport, FleetSpec } from './fleet-proc.js';

/** A grid of 60 columns, 0.005 degrees apart (about 500 m), around (lat, lon); each vehicle circles its spot (200 m, once in 10 min). */
function gridAround(lat: number, lon: number): Place {
  return (i, t) => {
    const a = (2 * Math.PI * t) / 600_000 + i;
    const row = Math.floor(i / 60) - 25;
    const col = (i % 60) - 30;
    return { lat7: Math.round((lat + row * 0.005 + 0.002 * Math.sin(a)) * 1e7), lon7: Math.round((lon + col * 0.005 + 0.002 * Math.cos(a)) * 1e7) };
  };
}

const send = (m: FleetReport, then?: () => void) => process.send!(m, undefined, {}, () => then?.());
// The parent gone (its channel closed, SIGKILL included): so is the fleet.
process.on('disconnect', () => process.exit());

async function main(spec: FleetSpec): Promise<void> {
  const vs: Vehicle[] = [];
  const t0 = performance.now();
  for (let i = 0; i < spec.vehicles; i++) await issueCert(spec.ca, { kind: 'device', vehicleId: `veh-${i}` });
  const t1 = performance.now();
  const online = await grow(
    vs,
    spec.vehicles,
    async (i, spool) => new DeviceLink({ engine: createEngine(DEFAULT_ENGINE), spool, server: { host: '127.0.0.1', port: spec.port }, tls: deviceTls(spec.ca, `veh-${i}`), clock: systemClock, log: silentLogger(), device: `veh-${i}`, packer: codecBatchPacker }),
    spec.ramp,
  );
  if (!online) throw new Error(`only ${vs.filter((v) => v.link.state === 'online').length} of ${spec.vehicles} vehicles came online`);
  send({ kind: 'online', certS: (t1 - t0) / 1000, onlineS: (performance.now() - t1) / 1000, engine: DEFAULT_ENGINE });
  process.on('message', (m: FleetOrder) => {
    if (m.kind === 'drive') drive(vs, gridAround(m.lat, m.lon));
    else if (m.kind === 'take') {
      const lat = vs.flatMap((v) => v.spool.latencies.splice(0));
      send({ kind: 'taken', acked: lat.length, p50: pct(lat, 50), p99: pct(lat, 99) });
    } else if (m.kind === 'park') {
      void parkAll(vs).then(() => send({ kind: 'parked' }, () => process.disconnect()));
    }
  });
}

main(JSON.parse(process.env.GS_FLEET ?? '{}') as FleetSpec).catch((err: unknown) => {
  process.exitCode = 1;
  send({ kind: 'failed', message: err instanceof Error ? err.message : String(err) }, () => process.disconnect());
});
