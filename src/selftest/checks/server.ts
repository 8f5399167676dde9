import { lookup } from 'node:dns/promises';
import { errorMessage } from '../../base/errors.js';
import { FIX_ADDONS, ProbeError, fail, needsConfig, pass, skip, type Check } from '../check.js';
import { parseHostPort } from '../../base/host-port.js';

/** The server answers the geostream/1.0 handshake with this device's certificate. */
export const serverCheck: Check = {
  id: 'server',
  title: 'server reachable (geostream/1.0)',
  timeoutMs: 8000,
  async run(ctx) {
    if (!ctx.config) return needsConfig();
    const address = ctx.config.server?.address;
    if (!address) return skip('no server configured (config key server.address)');
    const { host } = parseHostPort(address);
    try {
      await lookup(host);
    } catch (err) {
      return fail(`cannot resolve ${host}`, errorMessage(err), 'check the mobile data connection (ping 1.1.1.1) and DNS, and the server.address in the config');
    }
    if (!ctx.probes.server) return ctx.probesUnavailable ? fail(`${host} resolves; handshake not tried: the link code did not load`, ctx.probesUnavailable, FIX_ADDONS) : skip(`${host} resolves; no handshake probe for this config`);
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
