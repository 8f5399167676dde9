import { errorMessage } from '../../base/errors.js';
import { noProbe, ProbeError, fail, pass, skip, type Check } from '../check.js';

const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

/** Each configured I2C chip answers with the identity its datasheet gives. */
export const i2cCheck: Check = {
  id: 'i2c',
  title: 'I2C chips answer',
  timeoutMs: 5000,
  async run(ctx) {
    if (!ctx.probes.i2c) return noProbe(ctx, 'I2C bus');
    let chips;
    try {
      chips = await ctx.probes.i2c.identify(ctx.signal);
    } catch (err) {
      const fix = err instanceof ProbeError ? err.fix : 'check dtparam=i2c_arm=on in config.txt and that the service user is in the i2c group';
      return fail('cannot use the I2C bus', errorMessage(err), fix);
    }
    if (chips.length === 0) return skip('no I2C chips configured');
    const where = (c: (typeof chips)[number]): string => `${c.name}${c.address !== undefined ? ` at ${hex(c.address)}` : ''} on bus ${c.bus}`;
    const bad = chips.filter((c) => !c.ok);
    if (bad.length > 0) {
      const what = bad.map((c) => `${where(c)}: ${c.error ?? (c.found && c.expected ? `answered ${c.found}, expected ${c.expected}` : `answered ${c.found ?? 'nothing'}`)}`);
      return fail(`${bad.length} of ${chips.length} wrong or missing`, what.join('; '), 'check the sensor wiring and its address pins against the board file (i2cdetect -y 1 lists what answers)');
    }
    return pass(chips.map((c) => `${c.name}${c.address !== undefined ? ` ${hex(c.address)}` : ''} ${c.found ?? c.expected ?? 'ok'}`).join(', '));
  },
};
