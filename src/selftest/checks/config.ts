import { pass, type Check } from '../check.js';

/** The config and board files loaded (the command reports a load failure as this row's FAIL). */
export const configCheck: Check = {
  id: 'config',
  title: 'config and board files',
  timeoutMs: 1000,
  async run(ctx) {
    const c = ctx.config!;
    return pass(`${c.file}: vehicle ${c.vehicle.id}, board ${c.boardInfo.name}${c.boardInfo.simulated ? ' (simulated)' : ''}`);
  },
};
