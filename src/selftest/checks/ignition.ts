import { errorMessage } from '../../base/errors.js';
import { noProbe, fail, pass, skip, type Check } from '../check.js';

/** The ignition input reads (its level is reported; both are valid). */
export const ignitionCheck: Check = {
  id: 'ignition',
  title: 'ignition input',
  timeoutMs: 2000,
  async run(ctx) {
    if (!ctx.probes.ignition) return noProbe(ctx, 'ignition input');
    try {
      const r = await ctx.probes.ignition.read();
      if (!r) return skip('no ignition input in the board file (gpio.ignition)');
      return pass(`${r.line}: ignition ${r.on ? 'ON' : 'OFF'} (turn the key and run again to see it change)`);
    } catch (err) {
      return fail('cannot read the ignition input', errorMessage(err), 'check the service user is in the gpio group, the GPIO number in the board file and the input wiring');
    }
  },
};
