import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOOT_START, PI_CMDLINE, PI_CONFIG_TXT, ROOT_START, makePiImage } from '../support/pi-image.js';
import { repoRoot } from '../support/shared.js';
import { vehicleIdFromCert } from '../../src/tls/identity.js';
// @ts-expect-error plain JavaScript build script
import { editCmdline, editConfigTxt } from '../../scripts/image/boot-config.mjs';
// @ts-expect-error plain JavaScript build script
import { piLayout, readPartitions } from '../../scripts/image/partitions.mjs';

const dir = mkdtempSync(join(tmpdir(), 'gs-image-'));
let base = '';
let exe = '';
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const debugfs = (img: string, cmd: string) => execFileSync('debugfs', ['-R', cmd, `${img}?offset=${ROOT_START}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const mtype = (img: string, f: string) => execFileSync('mtype', ['-i', `${img}@@${BOOT_START}`, `::/${f}`], { encoding: 'utf8' });

function makeImage(args: string[]) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'image', 'make-image.mjs'), ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  base = makePiImage(dir);
  // A small real arm64 program stands in for the 100 MB executable.
  writeFileSync(join(dir, 'hi.c'), '#include <stdio.h>\nint main(void){puts("geostream stand-in");return 0;}\n');
  exe = join(dir, 'geostream-arm64');
  execFileSync('aarch64-linux-gnu-gcc', ['-O1', '-o', exe, join(dir, 'hi.c')]);
  return () => rmSync(dir, { recursive: true, force: true });
});

describe('make image', () => {
  it('provisions a copy of a Pi OS image: executable, config, keys 0600, enabled unit, UART/I2C boot config', () => {
    const baseSha = sha(base);
    const out = join(dir, 'truck-042.img');
    const ca = join(dir, 'fleet-ca');
    const r = makeImage(['--base', base, '--device', 'TRUCK-042', '--server', 'ingest.example.net:4433', '--out', out, '--exe', exe, '--ca-dir', ca]);
    expect(r.err).toMatch(/\[1\/7\] checking raspios\.img[\s\S]*\[7\/7\] verifying/);
    expect(r.err).toMatch(/100% of 0\.\d+ GB/);
    expect(r.err).toMatch(/created a new fleet CA/);
    expect(r.code).toBe(0);
    expect(sha(base)).toBe(baseSha); // the base image is never written

    // Boot partition, read back with mtools.
    const cfg = mtype(out, 'config.txt');
    expect(cfg).toMatch(/\n\[all\]\n# geostream: .*\nenable_uart=1\ndtparam=i2c_arm=on\ndtoverlay=disable-bt\n$/);
    expect(cfg).toContain('dtparam=audio=on\n');
    expect(cfg).toContain('[cm5]\ndtoverlay=dwc2,dr_mode=host\n');
    expect(mtype(out, 'cmdline.txt')).toBe(PI_CMDLINE.replace('console=serial0,115200 ', ''));

    // Root partition, read back with debugfs.
    const mode = (p: string) => /Mode:\s+(\d+)/.exec(debugfs(out, `stat ${p}`))?.[1];
    expect(mode('/usr/local/bin/geostream')).toBe('0755');
    expect(mode('/etc/geostream/config.json')).toBe('0600');
    expect(mode('/etc/geostream/tls/device.key')).toBe('0600');
    expect(debugfs(out, 'stat /etc/systemd/system/multi-user.target.wants/geostream.service')).toMatch(/Type: symlink[\s\S]*Fast link dest: "\/etc\/systemd\/system\/geostream\.service"/);
    expect(debugfs(out, 'cat /etc/systemd/system/geostream.service')).toBe(readFileSync(join(repoRoot, 'packaging', 'geostream.service'), 'utf8'));
    expect(debugfs(out, 'cat /etc/sysusers.d/geostream.conf')).toMatch(/^m geostream dialout$/m);
    expect(mode('/usr/local/sbin/geostream-selftest')).toBe('0755');
    const dumped = join(dir, 'dumped');
    debugfs(out, `dump /usr/local/bin/geostream ${dumped}`);
    expect(sha(dumped)).toBe(sha(exe));
    const config = JSON.parse(debugfs(out, 'cat /etc/geostream/config.json'));
    expect(config).toMatchObject({ vehicle: { id: 'TRUCK-042' }, board: 'pi4-fleet', server: { address: 'ingest.example.net:4433' } });

    // The device certificate: for this vehicle, from the fleet CA, matching its key.
    const cert = new X509Certificate(debugfs(out, 'cat /etc/geostream/tls/device.pem'));
    const caCert = new X509Certificate(debugfs(out, 'cat /etc/geostream/tls/ca.pem'));
    expect(vehicleIdFromCert(cert.raw)).toBe('TRUCK-042');
    expect(cert.checkIssued(caCert) && cert.verify(caCert.publicKey)).toBe(true);
    expect(caCert.toString()).toBe(new X509Certificate(readFileSync(join(ca, 'ca.pem'))).toString());
    expect(cert.checkPrivateKey(createPrivateKey(debugfs(out, 'cat /etc/geostream/tls/device.key')))).toBe(true);
    expect(statSync(join(ca, 'ca.key')).mode & 0o777).toBe(0o600);
    expect(() => execFileSync('e2fsck', ['-fn', `${out}?offset=${ROOT_START}`], { stdio: 'pipe' })).not.toThrow();
  });

  it('a board with an MCP2515 HAT: SPI and its overlay in config.txt, the CAN interface unit enabled for can0 with the board\'s bit rate, listen-only', () => {
    const out = join(dir, 'truck-can.img');
    const r = makeImage(['--base', base, '--device', 'TRUCK-CAN', '--server', 'h:1', '--out', out, '--exe', exe, '--ca-dir', join(dir, 'fleet-ca-can'), '--board', 'pi4-mcp2515']);
    expect(r.err).toMatch(/SPI and the CAN controller/);
    expect(r.code).toBe(0);
    const cfg = mtype(out, 'config.txt');
    expect(cfg).toMatch(/\n\[all\]\n# geostream: .*\nenable_uart=1\ndtparam=i2c_arm=on\ndtoverlay=disable-bt\ndtparam=spi=on\ndtoverlay=mcp2515-can0,oscillator=16000000,interrupt=25\n$/);
    expect(debugfs(out, 'cat /etc/systemd/system/geostream-can@.service')).toBe(readFileSync(join(repoRoot, 'packaging', 'geostream-can@.service'), 'utf8'));
    expect(debugfs(out, 'cat /etc/geostream/can-can0.env')).toBe('BITRATE=250000\nRESTART_MS=100\nCAN_OPTIONS="listen-only on"\n');
    expect(debugfs(out, 'stat /etc/systemd/system/sys-subsystem-net-devices-can0.device.wants/geostream-can@can0.service')).toMatch(/Type: symlink[\s\S]*Fast link dest: "\/etc\/systemd\/system\/geostream-can@\.service"/);
    expect(JSON.parse(debugfs(out, 'cat /etc/geostream/config.json'))).toMatchObject({ board: 'pi4-mcp2515' });
    expect(() => execFileSync('e2fsck', ['-fn', `${out}?offset=${ROOT_START}`], { stdio: 'pipe' })).not.toThrow();
    // a board without a CAN bus gets none of it
    const plain = debugfs(join(dir, 'truck-042.img'), 'ls -l /etc/systemd/system');
    expect(plain).not.toMatch(/geostream-can/);
  });

  it('a second device from the same fleet CA reuses it', () => {
    const ca = join(dir, 'fleet-ca-2');
    const a = makeImage(['--base', base, '--device', 'TRUCK-A', '--server', 'h:1', '--out', join(dir, 'a.img'), '--exe', exe, '--ca-dir', ca]);
    const b = makeImage(['--base', base, '--device', 'TRUCK-B', '--server', 'h:1', '--out', join(dir, 'b.img'), '--exe', exe, '--ca-dir', ca]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(b.err).not.toMatch(/created a new fleet CA/);
    const ca1 = new X509Certificate(debugfs(join(dir, 'a.img'), 'cat /etc/geostream/tls/ca.pem'));
    const certB = new X509Certificate(debugfs(join(dir, 'b.img'), 'cat /etc/geostream/tls/device.pem'));
    expect(certB.verify(ca1.publicKey)).toBe(true);
    expect(new X509Certificate(readFileSync(join(ca, 'devices', 'TRUCK-B.pem'))).serialNumber).toBe(certB.serialNumber);
  });

  it('a missing base image is a clear error and no output is left', () => {
    const out = join(dir, 'none.img');
    const r = makeImage(['--base', join(dir, 'nope.img'), '--device', 'T-1', '--server', 'h:1', '--out', out, '--exe', exe, '--ca-dir', join(dir, 'ca-x')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/base image .*nope\.img does not exist/);
    expect(() => statSync(out)).toThrow();
  });

  it('a file that is not a disk image is refused before anything is copied', () => {
    const junk = join(dir, 'junk.img');
    writeFileSync(junk, Buffer.alloc(4096, 7));
    const r = makeImage(['--base', junk, '--device', 'T-1', '--server', 'h:1', '--out', join(dir, 'j.img'), '--exe', exe, '--ca-dir', join(dir, 'ca-x')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not a disk image: no partition table/);
    expect(r.err).not.toMatch(/copying/);
  });

  it('a disk image without the Pi OS layout is called unrecognised', () => {
    const img = join(dir, 'linux-only.img');
    execFileSync('truncate', ['-s', '8M', img]);
    execFileSync('sfdisk', ['-q', img], { input: 'label: dos\nstart=2048, type=83\n' });
    const r = makeImage(['--base', img, '--device', 'T-1', '--server', 'h:1', '--out', join(dir, 'l.img'), '--exe', exe, '--ca-dir', join(dir, 'ca-x')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/is not a Raspberry Pi OS image: expected a FAT boot partition and a Linux root partition, found 1: linux \(0x83\)/);
  });

  it('a truncated download is detected from the partition table', () => {
    const img = join(dir, 'truncated.img');
    writeFileSync(img, readFileSync(base).subarray(0, ROOT_START + 1024 * 1024));
    const r = makeImage(['--base', img, '--device', 'T-1', '--server', 'h:1', '--out', join(dir, 't.img'), '--exe', exe, '--ca-dir', join(dir, 'ca-x')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/partition 2 ends at byte \d+, beyond the image .*truncated download/);
  });

  it('bad arguments are usage errors naming the value', () => {
    const r = makeImage(['--base', base, '--device', 'TRUCK 42', '--server', 'h:1', '--out', join(dir, 'x.img'), '--exe', exe]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/DEVICE "TRUCK 42" is not a vehicle id/);
    const s = makeImage(['--base', base, '--device', 'T-1', '--server', 'nohostport', '--out', join(dir, 'x.img'), '--exe', exe]);
    expect(s.err).toMatch(/SERVER "nohostport" is not HOST:PORT/);
    const x = makeImage(['--base', base, '--device', 'T-1', '--server', 'h:1', '--out', join(dir, 'x.img'), '--exe', join(repoRoot, 'package.json'), '--ca-dir', join(dir, 'ca-x')]);
    expect(x.err).toMatch(/package\.json is not an ELF file/);
  });

  it('an existing OUT is not overwritten without --force', () => {
    const out = join(dir, 'exists.img');
    writeFileSync(out, 'precious');
    const r = makeImage(['--base', base, '--device', 'T-1', '--server', 'h:1', '--out', out, '--exe', exe, '--ca-dir', join(dir, 'ca-x')]);
    expect(r.code).toBe(1);
    expect(readFileSync(out, 'utf8')).toBe('precious');
  });
});

describe('image building blocks', () => {
  it('config.txt edits are idempotent and replace conflicting settings', () => {
    const once = editConfigTxt(`${PI_CONFIG_TXT}enable_uart=0\ndtoverlay=miniuart-bt\n`) as string;
    expect(editConfigTxt(once)).toBe(once);
    expect(once).not.toMatch(/enable_uart=0|miniuart-bt/);
    expect(once.match(/enable_uart=1/g)).toHaveLength(1);
    // the CAN controller's lines: once, an older MCP2515 overlay replaced, the user's own spi setting kept without CAN
    const can = ['dtparam=spi=on', 'dtoverlay=mcp2515-can0,oscillator=16000000,interrupt=25'];
    const withCan = editConfigTxt(`${PI_CONFIG_TXT}dtparam=spi=on\ndtoverlay=mcp2515-can0,oscillator=8000000,interrupt=12\n`, can) as string;
    expect(editConfigTxt(withCan, can)).toBe(withCan);
    expect(withCan.match(/^dtparam=spi=on$/gm)).toHaveLength(1);
    expect(withCan).not.toMatch(/oscillator=8000000/);
    expect(withCan.endsWith(`dtoverlay=disable-bt\n${can.join('\n')}\n`)).toBe(true);
    expect(editConfigTxt(`${PI_CONFIG_TXT}dtparam=spi=on\n`)).toMatch(/^dtparam=spi=on$/m);
  });

  it('cmdline.txt loses every serial console form and keeps one line', () => {
    expect(editCmdline('console=ttyAMA0,115200 console=ttyS0,115200 console=tty1 root=/dev/mmcblk0p2 rootwait\n')).toBe('console=tty1 root=/dev/mmcblk0p2 rootwait\n');
    expect(() => editCmdline('  \n')).toThrow(/cmdline\.txt is empty/);
  });

  it('reads a GPT layout too', () => {
    const d = join(dir, 'gpt');
    mkdirSync(d);
    const img = makePiImage(d, { label: 'gpt' });
    const { boot, root } = piLayout(readPartitions(img, statSync(img).size), img);
    expect(boot.start).toBe(BOOT_START);
    expect(root.start).toBe(ROOT_START);
    truncateSync(img, 0);
  });
});
