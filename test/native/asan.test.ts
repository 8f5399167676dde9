/**
 * The addon's sans-IO core (native/src, without the N-API glue) under AddressSanitizer,
 * LeakSanitizer and UBSan: `make native-asan` links it into two C++ test programs.
 * native/test/conn_test.cc: a client and a server connection do a mutual-TLS handshake,
 * 200 KB, an echo, 2,000 mutated datagrams, a migration and a close.
 * native/test/flood_test.cc: the server's accept path under a datagram flood (100,000
 * Initials under 1200 bytes, 20,000 each of garbage Initials, mutated real Initials,
 * Handshakes for no connection, version bait and random datagrams, 1,000 half-open
 * handshakes timed out), then 20,000 bad datagrams into a live connection that must
 * still carry data; then in Retry mode: junk and token-less ClientHellos answered with
 * Retry, tokens forged, replayed from another address and expired refused with
 * INVALID_TOKEN, half-open handshakes through a Retry, and one whole connection through
 * a Retry carrying data; no unvalidated sender gets more than 3x what it sent.
 * Any memory error, leak or undefined behaviour fails the run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { repoRoot } from '../support/shared.js';
import { makePki, type Pki } from '../support/native-pki.js';

let pki: Pki;
beforeAll(async () => {
  pki = await makePki('native-asan-');
  await pki.device('VH-ASAN');
});
afterAll(() => pki.cleanup());

const sanitizerEnv = { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:halt_on_error=1', UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' };

function runAsan(program: string, extra: string[] = []) {
  execFileSync('make', ['-s', 'native-asan'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
  const d = pki.dir;
  return spawnSync(
    join(repoRoot, 'native/build-asan', program),
    [join(d, 'ca.pem'), join(d, 'servers/localhost.pem'), join(d, 'servers/localhost.key'), join(d, 'devices/VH-ASAN.pem'), join(d, 'devices/VH-ASAN.key'), ...extra],
    { encoding: 'utf8', env: sanitizerEnv, timeout: 300_000 },
  );
}

it('runs the QUIC core with no memory error, leak or undefined behaviour under ASan/LSan/UBSan', () => {
  const r = runAsan('conn_test');
  expect(r.stderr).not.toMatch(/Sanitizer|runtime error/);
  expect(r.stdout).toMatch(/^ok: handshake, 204800 bytes uni/);
  expect(r.status).toBe(0);
}, 360_000);

it('takes a datagram flood on the accept path and a live connection with no leak, memory error or amplification', () => {
  const r = runAsan('flood_test', [String(process.env.GS_ASAN_FLOOD_N ?? 100_000)]);
  console.log(r.stdout.trim());
  expect(r.stderr).not.toMatch(/Sanitizer|runtime error/);
  expect(r.stdout).toMatch(/^ok: \d+ tiny Initials/);
  expect(r.stdout).toMatch(/Retry mode: [1-9]\d* Retries, [1-9]\d* tokens accepted, [1-9]\d* refused, a connection through a Retry carried data/);
  expect(r.status).toBe(0);
}, 360_000);
