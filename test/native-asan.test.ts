/**
 * The addon's sans-IO core (native/src/conn.cc, tls.cc) under AddressSanitizer,
 * LeakSanitizer and UBSan: `make native-asan` links it into a C++ test program
 * (native/test/conn_test.cc) where a client and a server connection do a mutual-TLS
 * handshake, 200 KB, an echo, 2,000 mutated datagrams, a migration and a close.
 * Any memory error, leak or undefined behaviour fails the run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { repoRoot } from './helpers/shared.js';
import { makePki, type Pki } from './helpers/native-pki.js';

let pki: Pki;
beforeAll(async () => {
  pki = await makePki('native-asan-');
  await pki.device('VH-ASAN');
});
afterAll(() => pki.cleanup());

it('runs the QUIC core with no memory error, leak or undefined behaviour under ASan/LSan/UBSan', () => {
  execFileSync('make', ['-s', 'native-asan'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
  const d = pki.dir;
  const r = spawnSync(
    join(repoRoot, 'native/build-asan/conn_test'),
    [join(d, 'ca.pem'), join(d, 'servers/localhost.pem'), join(d, 'servers/localhost.key'), join(d, 'devices/VH-ASAN.pem'), join(d, 'devices/VH-ASAN.key')],
    { encoding: 'utf8', env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:halt_on_error=1', UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' }, timeout: 60_000 },
  );
  expect(r.stderr).not.toMatch(/Sanitizer|runtime error/);
  expect(r.stdout).toMatch(/^ok: handshake, 204800 bytes uni/);
  expect(r.status).toBe(0);
}, 120_000);
