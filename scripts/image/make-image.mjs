#!/usr/bin/env node
// make image BASE=raspios.img DEVICE=TRUCK-042 SERVER=host:port OUT=truck-042.img
// Writes a provisioned copy of a Raspberry Pi OS image: no loop devices, no mounts, no
// root (partition offsets from the partition table; FAT through mtools, ext4 through
// debugfs). The base image is never modified.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { ImageError, piLayout, readPartitions } from './partitions.mjs';
import { editCmdline, editConfigTxt } from './boot-config.mjs';
import { canSetup } from './can-setup.mjs';
import { fatHas, fatRead, fatWrite } from './fat.mjs';
import { checkExt4, extApply, extDump, extExists, extFsck, extStat } from './ext4.mjs';
import { issueDevice } from './certs.mjs';
import { checkElf } from '../package/addons.mjs';
import { repoRoot } from '../package/config.mjs';

const STEPS = 7;
let stepNo = 0;
const say = (msg) => process.stderr.write(`[${++stepNo}/${STEPS}] ${msg}\n`);

/** On-device layout (the unit, selftest and README refer to these paths). */
export const LAYOUT = {
  exe: '/usr/local/bin/geostream',
  etc: '/etc/geostream',
  config: '/etc/geostream/config.json',
  tls: '/etc/geostream/tls',
  unit: '/etc/systemd/system/geostream.service',
  canUnit: '/etc/systemd/system/geostream-can@.service',
  wants: '/etc/systemd/system/multi-user.target.wants',
  sysusers: '/etc/sysusers.d/geostream.conf',
  selftest: '/usr/local/sbin/geostream-selftest',
};

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SERVER = /^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;

function usage(msg) {
  process.stderr.write(`make-image: ${msg}\nusage: make image BASE=raspios.img DEVICE=TRUCK-042 SERVER=host:port OUT=truck-042.img [BOARD=pi4-fleet] [CA=fleet-ca-dir]\n`);
  process.exit(2);
}

function readAt(file) {
  return (pos, len) => {
    const fd = openSync(file, 'r');
    try {
      const b = Buffer.alloc(len);
      return b.subarray(0, readSync(fd, b, 0, len, pos));
    } finally {
      closeSync(fd);
    }
  };
}

/** Copies with a progress line (a Pi OS image is a few GB). */
async function copyWithProgress(from, to) {
  const total = statSync(from).size;
  let done = 0;
  let shown = -1;
  const tty = process.stderr.isTTY;
  const meter = new Transform({
    transform(chunk, _enc, cb) {
      done += chunk.length;
      const pct = Math.floor((done / total) * 100);
      const mark = tty ? pct : Math.floor(pct / 10) * 10;
      if (mark !== shown) {
        shown = mark;
        process.stderr.write(tty ? `\r      ${pct}% of ${(total / 1e9).toFixed(2)} GB` : `      ${mark}% of ${(total / 1e9).toFixed(2)} GB\n`);
      }
      cb(null, chunk);
    },
  });
  await pipeline(createReadStream(from, { highWaterMark: 4 << 20 }), meter, createWriteStream(to, { mode: 0o600 }));
  if (tty) process.stderr.write('\n');
}

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

export async function makeImage(o) {
  const base = resolve(o.base);
  const out = resolve(o.out);
  if (!existsSync(base)) throw new ImageError(`base image ${base} does not exist (download Raspberry Pi OS Lite 64-bit and unpack the .img.xz: xz -dk FILE.img.xz)`);
  if (!statSync(base).isFile()) throw new ImageError(`base image ${base} is not a file`);
  if (base === out) throw new ImageError('OUT must differ from BASE: the base image is never modified');
  if (base.endsWith('.xz') || base.endsWith('.zip')) throw new ImageError(`${base} is compressed: unpack it first (xz -dk / unzip)`);
  if (existsSync(out) && !o.force) throw new ImageError(`${out} exists: remove it or pass --force`);
  checkElf(o.exe, 'arm64');

  say(`checking ${basename(base)}`);
  const parts = readPartitions(base, statSync(base).size);
  const { boot, root } = piLayout(parts, base);
  for (const f of ['config.txt', 'cmdline.txt']) {
    if (!fatHas(base, boot, f)) throw new ImageError(`${base}: the boot partition (${boot.index}) has no ${f}: not a Raspberry Pi OS image`);
  }
  checkExt4(base, root, readAt(base));
  if (!extExists(base, root, '/etc/systemd/system')) throw new ImageError(`${base}: the root partition (${root.index}) has no /etc/systemd/system: not a Raspberry Pi OS image`);
  process.stderr.write(`      boot: partition ${boot.index} at ${boot.start} (${(boot.size / 1e6).toFixed(0)} MB FAT), root: partition ${root.index} at ${root.start} (${(root.size / 1e6).toFixed(0)} MB ext4)\n`);

  const work = mkdtempSync(join(tmpdir(), 'gs-image-'));
  chmodSync(work, 0o700);
  const partial = `${out}.partial`;
  try {
    say(`copying to ${basename(out)}`);
    await copyWithProgress(base, partial);

    say(`issuing the device certificate for ${o.device}`);
    // Laid out as on the device (tls/ beside config.json), so the config's relative paths resolve.
    mkdirSync(join(work, 'tls'), { mode: 0o700 });
    const tls = issueDevice(o.caDir, o.device, join(work, 'tls'));

    say('writing the config');
    const configFile = join(work, 'config.json');
    const tlsRel = { ca: 'tls/ca.pem', cert: 'tls/device.pem', key: 'tls/device.key' };
    const write = (server) => {
      const config = { vehicle: { id: o.device }, board: o.board, log: { level: 'info' }, spool: { dir: '/var/lib/geostream/spool' }, server };
      writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
      // Validate with this build's config schema and board files (errors name the key).
      return spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'cli.ts'), 'selftest', '--only', 'config', '--config', configFile], { cwd: repoRoot, encoding: 'utf8' });
    };
    let v = write({ address: o.server, ...tlsRel });
    // A build whose server section has no TLS keys yet finds them in tls/ by default.
    if (v.status !== 0 && /key 'server\.(ca|cert|key)': unknown key/.test(v.stdout)) v = write({ address: o.server });
    if (v.status !== 0) throw new ImageError(`the generated config does not validate:\n${v.stdout}${v.stderr}`);

    // The board file validated with the config: its CAN bus, if any, needs an overlay and the interface unit.
    const can = canSetup(JSON.parse(readFileSync(join(repoRoot, 'board', `${o.board}.json`), 'utf8')));
    say(`boot partition: config.txt (UART, I2C, Bluetooth off the UART${can?.bootLines.length ? ', SPI and the CAN controller' : ''}), cmdline.txt (no serial console)`);
    const cfgTxt = join(work, 'config.txt');
    const cmdline = join(work, 'cmdline.txt');
    writeFileSync(cfgTxt, editConfigTxt(fatRead(partial, boot, 'config.txt'), can?.bootLines ?? []));
    writeFileSync(cmdline, editCmdline(fatRead(partial, boot, 'cmdline.txt')));
    fatWrite(partial, boot, cfgTxt, 'config.txt');
    fatWrite(partial, boot, cmdline, 'cmdline.txt');

    say(`root partition: executable, config, keys, systemd unit (enabled), user, geostream-selftest${can ? `, ${can.unit}` : ''}`);
    const canFiles = [];
    if (can) {
      const env = join(work, 'can.env');
      writeFileSync(env, can.env);
      const wants = `/etc/systemd/system/sys-subsystem-net-devices-${can.iface}.device.wants`;
      canFiles.push(
        { file: LAYOUT.canUnit, from: join(repoRoot, 'packaging', 'geostream-can@.service'), mode: 0o644 },
        { file: `${LAYOUT.etc}/can-${can.iface}.env`, from: env, mode: 0o644 },
        { mkdir: wants },
        { symlink: `${wants}/${can.unit}`, to: LAYOUT.canUnit },
      );
    }
    extApply(partial, root, [
      { mkdir: '/usr/local/bin' },
      { file: LAYOUT.exe, from: resolve(o.exe), mode: 0o755 },
      { mkdir: LAYOUT.etc, mode: 0o750 },
      { mkdir: LAYOUT.tls, mode: 0o700 },
      { file: LAYOUT.config, from: configFile, mode: 0o600 },
      { file: `${LAYOUT.tls}/device.key`, from: tls.key, mode: 0o600 },
      { file: `${LAYOUT.tls}/device.pem`, from: tls.crt, mode: 0o644 },
      { file: `${LAYOUT.tls}/ca.pem`, from: tls.ca, mode: 0o644 },
      { file: LAYOUT.unit, from: join(repoRoot, 'packaging', 'geostream.service'), mode: 0o644 },
      { mkdir: LAYOUT.wants },
      { symlink: `${LAYOUT.wants}/geostream.service`, to: LAYOUT.unit },
      { mkdir: '/usr/local/sbin' },
      { file: LAYOUT.selftest, from: join(repoRoot, 'scripts', 'selftest.sh'), mode: 0o755 },
      { mkdir: '/etc/sysusers.d' },
      { file: LAYOUT.sysusers, from: join(repoRoot, 'packaging', 'geostream.sysusers'), mode: 0o644 },
      ...canFiles,
    ]);

    say('verifying');
    extFsck(partial, root);
    const exe = extStat(partial, root, LAYOUT.exe);
    if (exe.mode !== 0o755) throw new ImageError(`verification: ${LAYOUT.exe} has mode ${exe.mode?.toString(8)}`);
    extDump(partial, root, LAYOUT.exe, join(work, 'exe.readback'));
    if (sha256(join(work, 'exe.readback')) !== sha256(o.exe)) throw new ImageError(`verification: ${LAYOUT.exe} in the image differs from ${o.exe}`);
    const key = extStat(partial, root, `${LAYOUT.tls}/device.key`);
    if (key.mode !== 0o600) throw new ImageError(`verification: device.key has mode ${key.mode?.toString(8)}`);
    if (!/^enable_uart=1$/m.test(fatRead(partial, boot, 'config.txt'))) throw new ImageError('verification: config.txt lost enable_uart=1');
    renameSync(partial, out);
    process.stderr.write(`done: ${out} for ${o.device} -> ${o.server} (flash it: see README "Flash")\n`);
    return { out, boot, root, tls, caCreated: tls.caCreated };
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(partial, { force: true });
  }
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        base: { type: 'string' },
        device: { type: 'string' },
        server: { type: 'string' },
        out: { type: 'string' },
        exe: { type: 'string', default: join(repoRoot, 'out', 'geostream-linux-arm64') },
        board: { type: 'string', default: 'pi4-fleet' },
        'ca-dir': { type: 'string', default: process.env.GEOSTREAM_CA_DIR || join(homedir(), '.geostream', 'fleet-ca') },
        force: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    usage(err.message);
  }
  for (const k of ['base', 'device', 'server', 'out']) if (!values[k]) usage(`${k.toUpperCase()} is missing`);
  if (!ID.test(values.device)) usage(`DEVICE "${values.device}" is not a vehicle id (letters, digits, ".", "_", "-"; at most 64)`);
  if (!SERVER.test(values.server)) usage(`SERVER "${values.server}" is not HOST:PORT`);
  if (!existsSync(values.exe)) usage(`${values.exe} is missing: run make package-arm64`);
  await makeImage({ ...values, caDir: values['ca-dir'] });
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  main().catch((err) => {
    process.stderr.write(`make-image: ${err instanceof ImageError ? '' : 'error: '}${err.message}\n`);
    process.exit(1);
  });
}
