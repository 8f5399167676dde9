import { errorMessage } from '../../base/errors.js';
import { noProbe, fail, pass, skip, type Check } from '../check.js';

/** How long each LED stays lit so a technician sees it. */
export const LED_ON_MS = 600;

/** Each status LED lit in turn (the technician watches them). */
export const ledsCheck: Check = {
  id: 'leds',
  title: 'LEDs lit in turn',
  timeoutMs: 6000,
  async run(ctx) {
    if (!ctx.probes.leds) return noProbe(ctx, 'LEDs');
    try {
      const leds = await ctx.probes.leds.cycle(LED_ON_MS, ctx.signal);
      if (leds.length === 0) return skip('no LEDs in the board file (gpio.leds)');
      const bad = leds.filter((l) => !l.ok);
      if (bad.length > 0) {
        return fail(`${bad.length} LED(s) could not be driven`, bad.map((l) => `${l.led}: ${l.error ?? 'failed'}`).join('; '), 'check the service user is in the gpio group and the GPIO numbers in the board file');
      }
      return pass(`${leds.map((l) => l.led).join(', ')} lit in turn: check each one lit`);
    } catch (err) {
      return fail('cannot drive the LEDs', errorMessage(err), 'check the service user is in the gpio group and the GPIO numbers in the board file');
    }
  },
};
