import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const sh = (cmd: string, args: string[], opts: { input?: string; cwd?: string } = {}) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...opts });

/** config.txt and cmdline.txt as Raspberry Pi OS bookworm ships them (abridged). */
export const PI_CONFIG_TXT = `# For more options and information see
# http://rptl.io/configtxt
# Uncomment some or all of these to enable the optional hardware interfaces
#dtparam=i2c_arm=on
#dtparam=i2s=on
#dtparam=spi=on

# Enable audio (loads snd_bcm2835)
dtparam=audio=on

# Automatically load overlays for detected cameras
camera_auto_detect=1

[cm4]
# Enable host mode on the 2711 built-in XHCI USB controller.
otg_mode=1

[cm5]
dtoverlay=dwc2,dr_mode=host

[all]
`;
export const PI_CMDLINE = 'console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot\n';

export const BOOT_START = 8192 * 512;
export const ROOT_START = (8192 + 65536) * 512;

/**
 * A small disk image with Raspberry Pi OS's layout: MBR, partition 1 FAT (type 0x0c,
 * at sector 8192) with config.txt and cmdline.txt, partition 2 ext4 with /etc/systemd.
 * Made with sfdisk, mkfs.vfat + mtools and mke2fs -d: no loop device, no mount.
 */
export function makePiImage(dir: string, opts: { label?: 'dos' | 'gpt'; rootMiB?: number } = {}): string {
  const img = join(dir, 'raspios.img');
  const rootSectors = (opts.rootMiB ?? 80) * 2048;
  const total = (8192 + 65536 + rootSectors + 2048) * 512;
  sh('truncate', ['-s', String(total), img]);
  const label = opts.label ?? 'dos';
  const types = label === 'dos' ? ['c', '83'] : ['C12A7328-F81F-11D2-BA4B-00A0C93EC93B', '0FC63DAF-8483-4772-8E79-3D69D8477DE4'];
  sh('sfdisk', ['-q', img], { input: `label: ${label}\nstart=8192, size=65536, type=${types[0]}\nstart=${8192 + 65536}, size=${rootSectors}, type=${types[1]}\n` });
  const fat = join(dir, 'boot.fat');
  sh('mkfs.vfat', ['-C', '-n', 'bootfs', fat, String(65536 / 2)]);
  writeFileSync(join(dir, 'config.txt'), PI_CONFIG_TXT);
  writeFileSync(join(dir, 'cmdline.txt'), PI_CMDLINE);
  sh('mcopy', ['-i', fat, join(dir, 'config.txt'), join(dir, 'cmdline.txt'), '::/']);
  sh('dd', [`if=${fat}`, `of=${img}`, 'bs=512', `seek=8192`, 'conv=notrunc,sparse', 'status=none']);
  const root = join(dir, 'rootfs');
  for (const d of ['etc/systemd/system/multi-user.target.wants', 'usr/local/bin', 'usr/lib/sysusers.d', 'var/lib']) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'etc/hostname'), 'raspberrypi\n');
  sh('mke2fs', ['-q', '-t', 'ext4', '-L', 'rootfs', '-d', root, '-E', `offset=${ROOT_START}`, img, `${rootSectors / 2}k`]);
  return img;
}
