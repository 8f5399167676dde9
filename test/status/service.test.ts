import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/shared.js';
import { unitEnvironment } from '../support/unit-env.js';

const unit = readFileSync(join(repoRoot, 'packaging', 'geostream.service'), 'utf8');
const settings = (key: string): string[] =>
  unit
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));

/** The unit with its executables pointed into a temp root (verify checks they exist). */
function unitInTempRoot(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gs-unit-'));
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'geostream'), '#!/bin/sh\n');
  chmodSync(join(dir, 'bin', 'geostream'), 0o755);
  const chown = execFileSync('bash', ['-c', 'command -v chown'], { encoding: 'utf8' }).trim();
  const file = join(dir, 'geostream.service');
  writeFileSync(file, unit.replace('/usr/local/bin/geostream', join(dir, 'bin', 'geostream')).replace('/bin/chown', chown));
  return { dir, file };
}

/** systemd-analyze verify of one unit file: no complaint, exit 0. */
function expectVerifies(file: string): void {
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  if (r.error) throw new Error(`systemd-analyze missing (apt-get install systemd): ${r.error.message}`);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}

describe('packaging/geostream.service', () => {
  it("gives the agent its V8 options (NODE_OPTIONS: --jitless, --max-semi-space-size=1; agent RSS)", () => {
    const options = (unitEnvironment().NODE_OPTIONS ?? '').split(/\s+/);
    expect(options).toContain('--jitless');
    expect(options).toContain('--max-semi-space-size=1');
  });

  it('passes systemd-analyze verify', () => {
    const { dir, file } = unitInTempRoot();
    try {
      expectVerifies(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is hardened: systemd-analyze security rates its exposure OK (<= 3.0 of 10)', () => {
    const { dir, file } = unitInTempRoot();
    try {
      const out = execFileSync('systemd-analyze', ['security', '--offline=yes', file], { encoding: 'utf8' });
      const level = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(out)?.[1]);
      expect(level).toBeLessThanOrEqual(3.0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('restarts on failure and on a missed watchdog ping, which systemd-notify children may send', () => {
    expect(settings('Type')).toEqual(['notify']);
    expect(settings('NotifyAccess')).toEqual(['all']);
    expect(settings('Restart')).toEqual(['on-failure']);
    expect(Number(settings('WatchdogSec')[0])).toBeGreaterThanOrEqual(10);
  });

  it('gives the agent a writable state dir and addon cache, and reaches its devices', () => {
    expect(settings('StateDirectory')).toEqual(['geostream']);
    expect(settings('CacheDirectory')).toEqual(['geostream']);
    expect(settings('Environment')).toContain('PKG_NATIVE_CACHE_PATH=/var/cache/geostream');
    expect(settings('SupplementaryGroups')).toEqual(['dialout i2c gpio']);
    // /dev/serial0 -> ttyAMA0 (PL011) or ttyS0 (mini UART); /dev/i2c-1 is class "i2c".
    expect(settings('DeviceAllow')).toEqual(expect.arrayContaining(['char-ttyAMA rw', 'char-ttyS rw', 'char-i2c rw']));
    expect(settings('PrivateDevices')).toEqual([]);
    // /sys/class/gpio must stay writable.
    expect(settings('ProtectKernelTunables')).toEqual(['no']);
    expect(settings('User')).toEqual(['geostream']);
    const sysusers = readFileSync(join(repoRoot, 'packaging', 'geostream.sysusers'), 'utf8');
    for (const g of ['dialout', 'i2c', 'gpio']) expect(sysusers).toMatch(new RegExp(`^m geostream ${g}$`, 'm'));
    // raw CAN sockets for the vehicle bus
    expect(settings('RestrictAddressFamilies')[0]!.split(' ')).toContain('AF_CAN');
  });
});

describe('packaging/geostream-can@.service', () => {
  const canUnit = readFileSync(join(repoRoot, 'packaging', 'geostream-can@.service'), 'utf8');

  it('passes systemd-analyze verify as the can0 instance', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-unit-'));
    try {
      const file = join(dir, 'geostream-can@can0.service');
      writeFileSync(file, canUnit);
      expectVerifies(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sets the bit timing while the interface is down, then brings it up, for each appearance of the interface', () => {
    const lines = canUnit.split('\n');
    expect(lines.filter((l) => /^Exec/.test(l))).toEqual([
      'ExecStartPre=-ip link set %i down',
      'ExecStart=ip link set %i type can bitrate ${BITRATE} restart-ms ${RESTART_MS} $CAN_OPTIONS',
      'ExecStart=ip link set %i up',
      'ExecStop=ip link set %i down',
    ]);
    expect(lines).toEqual(expect.arrayContaining(['BindsTo=sys-subsystem-net-devices-%i.device', 'Before=geostream.service', 'WantedBy=sys-subsystem-net-devices-%i.device', 'EnvironmentFile=/etc/geostream/can-%i.env']));
  });
});
