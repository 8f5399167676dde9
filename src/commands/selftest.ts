import { dirname, join } from 'node:path';
import type { Command } from './command.js';
import { parseCommandArgs } from './command.js';
import { UsageError, errorMessage } from '../base/errors.js';
import { loadConfig, type Config } from '../agent/config.js';
import { systemClock } from '../base/clock.js';
import { checks as allChecks } from '../selftest/checks/index.js';
import { runChecks, type CheckOutcome } from '../selftest/runner.js';
import { formatReport, makeReport } from '../selftest/report.js';
import type { SelftestProbes } from '../selftest/probe-types.js';
import { envVar } from '../base/env.js';

export const DEFAULT_CONFIG = '/etc/geostream/config.json';

export const selftestCommand: Command = {
  name: 'selftest',
  summary: 'check the device: GNSS, sensors, LEDs, ignition, spool, clock, certificate, server',
  usage: `Usage: geostream selftest [--config FILE] [--tls-dir DIR] [--only ID,...] [--json]

Checks this device the way a field technician needs: UART and NMEA, GNSS fix, each
I2C chip's identity, LEDs lit in turn, ignition input, spool writable with free space,
system clock vs GNSS time, device certificate, server handshake (geostream/1.0).
Prints a table with PASS/WARN/FAIL/SKIP, and the reason and fix for each problem.
Takes under 15 s. Exit code 1 when any check FAILs.

Stop the service first (it holds the UART): scripts/selftest.sh does that for you.

Options:
  --config FILE   vehicle config (default $GEOSTREAM_CONFIG or ${DEFAULT_CONFIG})
  --tls-dir DIR   device.crt, device.key, ca.crt (default: tls/ beside the config)
  --only IDS      run only these checks (comma-separated): ${allChecks.map((c) => c.id).join(', ')}
  --json          machine-readable report`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      config: { type: 'string' },
      'tls-dir': { type: 'string' },
      only: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    let checks = allChecks;
    if (values.only) {
      const ids = values.only.split(',').map((s) => s.trim());
      const unknown = ids.filter((id) => !allChecks.some((c) => c.id === id));
      if (unknown.length) throw new UsageError(`--only: unknown check '${unknown[0]}' (known: ${allChecks.map((c) => c.id).join(', ')})`);
      checks = allChecks.filter((c) => ids.includes(c.id));
    }
    const file = values.config ?? envVar('GEOSTREAM_CONFIG') ?? DEFAULT_CONFIG;
    const t0 = systemClock.now();
    let config: Config | undefined;
    let configFailure: CheckOutcome | undefined;
    try {
      config = loadConfig(file);
    } catch (err) {
      configFailure = {
        id: 'config',
        title: allChecks[0]!.title,
        ms: 0,
        status: 'FAIL',
        summary: 'the config did not load',
        reason: errorMessage(err),
        fix: `fix the file and key named above, or pass --config FILE (provisioned devices have ${DEFAULT_CONFIG})`,
      };
    }
    const run = configFailure ? checks.filter((c) => c.id !== 'config') : checks;
    const { probes, probesUnavailable } = config ? await loadProbes(config) : { probes: {} as SelftestProbes };
    let results: CheckOutcome[];
    try {
      results = await runChecks(run, { config, tlsDir: values['tls-dir'] ?? join(dirname(file), 'tls'), clock: systemClock, probes, probesUnavailable });
    } finally {
      await probes.dispose?.();
    }
    if (configFailure && checks.some((c) => c.id === 'config')) results.unshift(configFailure);
    const report = makeReport(results, systemClock.now() - t0, config?.vehicle.id ?? null, config?.boardInfo.name ?? null);
    const tty = (io.stdout as { isTTY?: boolean }).isTTY === true;
    io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report, tty)}\n`);
    return report.ok ? 0 : 1;
  },
};

/**
 * The hardware probes, imported only now: their modules load the native addons (serialport,
 * i2c-bus, onoff, the QUIC engine), and an addon that cannot load on this device must become
 * FAIL rows in the report, not a crash before it.
 */
async function loadProbes(config: Config): Promise<{ probes: SelftestProbes; probesUnavailable?: string }> {
  try {
    const { defaultProbes } = await import('../selftest/probe-registry.js');
    return { probes: defaultProbes(config, systemClock) };
  } catch (err) {
    return { probes: {}, probesUnavailable: errorMessage(err).split('\n')[0] };
  }
}
