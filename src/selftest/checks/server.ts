import { lookup } from 'node:dns/promises';
import { errorMessage } from '../../errors.js';
import { ProbeError, fail, needsConfig, pass, skip, type Check } from '../check.js';

/** Splits HOST:PORT or [V6]:PORT (the config's server.address). */
export function splitAddress(address: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]+):(\d+)$/.exec(address);
  if (!m) throw new Error(`not HOST:PORT: ${address}`);
  return { host: m[1]!, port: Number(m[2]) };
}

/** The server answers the geostream/1.0 handshake with this device's certificate. */
export const serverCheck: Check = {
  id: 'server',
  title: 'server reachable (geostream/1.0)',
  timeoutMs: 8000,
  async run(ctx) {
    if (!ctx.config) return needsConfig();
    const address = ctx.config.server?.address;
    if (!address) return skip('no server configured (config key server.address)');
    const { host } = splitAddress(address);
    try {
      await lookup(host);
    } catch (err) {
      return fail(`cannot resolve ${host}`, errorMessage(err), 'check the mobile data connection (ping 1.1.1.1) and DNS, and the server.address in the config');
    }
    if (!ctx.probes.server) return skip(`${host} resolves; handshake probe not in this build (the link work provides it)`);
    try {
      const r = await ctx.probes.server.handshake(ctx.signal);
      const connect = r.connectMs !== undefined ? `, handshake ${r.connectMs.toFixed(0)} ms` : '';
      const held = r.high === undefined ? '' : r.spool === 'none' ? '; no spool on this device yet' : `; server holds this spool up to seq ${r.high}`;
      return pass(`${r.address}: ${r.alpn}${connect}, RTT ${r.rttMs.toFixed(0)} ms (HELLO->WELCOME)${held}`);
    } catch (err) {
      const fix = err instanceof ProbeError ? err.fix : 'check the mobile data connection, that UDP to the server port is not blocked, and the device certificate (cert row)';
      return fail(`no geostream/1.0 handshake with ${address}`, errorMessage(err), fix);
    }
  },
};
