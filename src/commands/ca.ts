import type { Command } from './command.js';
import { parseCommandArgs, numberOption, withSubcommands } from './command.js';
import { UsageError } from '../base/errors.js';
import { initCa, issueCert, revokeCert, type Subject } from '../tls/ca.js';
import { CertificateError } from '../tls/identity.js';

/** CertificateError is the user's to fix (exit 2 with the message), like a usage error. */
async function userErrors<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof CertificateError) throw new UsageError(err.message);
    throw err;
  }
}

function requireDir(dir: string | undefined): string {
  if (!dir) throw new UsageError('--dir DIR is required (the CA directory)');
  return dir;
}

const init: Command = {
  name: 'init',
  summary: 'create a fleet CA (ECDSA P-256) in a directory',
  usage: `Usage: geostream ca init --dir DIR [--name NAME] [--days N]

Creates DIR (mode 0700) with ca.pem (the fleet CA certificate: give it to the
server and every device), ca.key (its private key, mode 0600: keep it off the
devices) and crl.pem (the empty revocation list the server reads).
Refuses to overwrite an existing CA.

Options:
  --dir DIR    CA directory (required)
  --name NAME  CA common name (default "geostream fleet CA")
  --days N     validity in days (default 7305, 20 years)`,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { dir: { type: 'string' }, name: { type: 'string' }, days: { type: 'string' } }, false);
    const dir = requireDir(values.dir);
    const days = numberOption('days', values.days, 1, 36500);
    const ca = await userErrors(() => initCa(dir, { name: values.name, days }));
    io.stdout.write(`created fleet CA "${ca.cert.subject}" in ${dir} (valid until ${ca.cert.notAfter.toISOString()})\n`);
    return 0;
  },
};

const issue: Command = {
  name: 'issue',
  summary: 'issue a device certificate for VEHICLE-ID, or a server certificate',
  usage: `Usage: geostream ca issue --dir DIR VEHICLE-ID [--days N] [--force]
       geostream ca issue --dir DIR --server NAME [--alt NAME-OR-IP]... [--days N] [--force]

A device certificate names the vehicle in its CN and in a SAN URI
urn:geostream:vehicle:VEHICLE-ID; the server takes the device's identity from it.
Writes DIR/devices/VEHICLE-ID.pem and .key (key mode 0600).
A server certificate (--server) names NAME and each --alt as DNS names or IP
addresses; devices check it. Writes DIR/servers/NAME.pem and .key.

Options:
  --dir DIR        CA directory made by 'geostream ca init' (required)
  --server NAME    issue a server certificate instead of a device one
  --alt NAME       extra DNS name or IP address for a server certificate (repeatable)
  --days N         validity in days (default: device 1825, server 825)
  --force          replace an existing certificate and key of that name`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      dir: { type: 'string' },
      server: { type: 'string' },
      alt: { type: 'string', multiple: true },
      days: { type: 'string' },
      force: { type: 'boolean' },
    });
    const dir = requireDir(values.dir);
    const days = numberOption('days', values.days, 1, 36500);
    let subject: Subject;
    if (values.server !== undefined) {
      if (positionals.length) throw new UsageError(`--server issues a server certificate: unexpected argument '${positionals[0]}'`);
      subject = { kind: 'server', name: values.server, altNames: values.alt ?? [] };
    } else {
      if (values.alt) throw new UsageError('--alt is only for server certificates (--server NAME)');
      if (positionals.length !== 1) throw new UsageError('expected exactly one VEHICLE-ID (or --server NAME)');
      subject = { kind: 'device', vehicleId: positionals[0]! };
    }
    const out = await userErrors(() => issueCert(dir, subject, { days, force: values.force }));
    io.stdout.write(`issued ${out.certPath} (key ${out.keyPath}, serial ${out.serial}, valid until ${out.notAfter.toISOString()})\n`);
    return 0;
  },
};

const revoke: Command = {
  name: 'revoke',
  summary: 'revoke a device or server certificate (rewrites crl.pem)',
  usage: `Usage: geostream ca revoke --dir DIR VEHICLE-ID
       geostream ca revoke --dir DIR --server NAME
       geostream ca revoke --dir DIR --serial HEX

Adds the certificate's serial number to DIR/crl.pem (signed by the CA). A running
server re-reads crl.pem when it changes and refuses the certificate at the next
handshake with TLS alert certificate_revoked.`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { dir: { type: 'string' }, server: { type: 'string' }, serial: { type: 'string' } });
    const dir = requireDir(values.dir);
    const given = [values.server !== undefined, values.serial !== undefined, positionals.length > 0].filter(Boolean).length;
    if (given !== 1 || positionals.length > 1) throw new UsageError('give exactly one of VEHICLE-ID, --server NAME or --serial HEX');
    const target =
      values.serial !== undefined
        ? { serial: values.serial }
        : values.server !== undefined
          ? ({ kind: 'server', name: values.server } as const)
          : ({ kind: 'device', vehicleId: positionals[0]! } as const);
    const serial = await userErrors(() => revokeCert(dir, target));
    io.stdout.write(`revoked serial ${serial}; ${dir}/crl.pem updated\n`);
    return 0;
  },
};

export const caCommand: Command = withSubcommands('ca', 'fleet certificate authority: CA, device and server certificates, revocation', [init, issue, revoke]);
