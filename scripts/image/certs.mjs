// The fleet CA and a device's key and certificate, made with this repository's own
// `geostream ca init` / `geostream ca issue` (ECDSA P-256, vehicle id in CN and SAN URI).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../package/config.mjs';

/** Runs `geostream ARGS...` from source (tsx); throws with its stderr. */
export function geostream(args) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'cli.ts'), ...args], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`geostream ${args.join(' ')}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/**
 * Issues a device key and certificate for `id` from the fleet CA in `caDir` (created
 * when it has none) into `outDir` as device.pem, device.key (0600) and ca.pem. A device
 * re-provisioned gets a new key (--force replaces its previous certificate in the CA dir).
 */
export function issueDevice(caDir, id, outDir) {
  let caCreated = false;
  if (!existsSync(join(caDir, 'ca.pem'))) {
    geostream(['ca', 'init', '--dir', caDir]);
    caCreated = true;
    process.stderr.write(`      created a new fleet CA in ${caDir} (keep ca.key safe and offline; the server needs ca.pem)\n`);
  }
  geostream(['ca', 'issue', '--dir', caDir, '--force', id]);
  const out = { crt: join(outDir, 'device.pem'), key: join(outDir, 'device.key'), ca: join(outDir, 'ca.pem') };
  copyFileSync(join(caDir, 'devices', `${id}.pem`), out.crt);
  copyFileSync(join(caDir, 'devices', `${id}.key`), out.key);
  chmodSync(out.key, 0o600);
  copyFileSync(join(caDir, 'ca.pem'), out.ca);
  return { ...out, caCreated };
}
