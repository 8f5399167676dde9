import { bundledAddons } from '../../base/bundled-addons.js';
import { errorMessage } from '../../base/errors.js';
import { FIX_ADDONS, fail, pass, skip, type Check } from '../check.js';

/** Every native addon inside the executable loads on this machine. */
export const addonsCheck: Check = {
  id: 'addons',
  title: 'native addons load',
  timeoutMs: 5000,
  async run() {
    const table = bundledAddons();
    if (!table) return skip('running from source: each package loads its addon from node_modules');
    const failed: string[] = [];
    for (const name of table.names) {
      try {
        table.load(name);
      } catch (err) {
        failed.push(`${name}: ${errorMessage(err).split('\n')[0]}`);
      }
    }
    if (failed.length > 0) {
      const wrongBuild = failed.some((f) => /NODE_MODULE_VERSION|wrong ELF class|cannot open shared object|invalid ELF header|exec format/i.test(f));
      return fail(
        `${failed.length} of ${table.names.length} addons failed to load`,
        failed.join('; '),
        wrongBuild
          ? FIX_ADDONS
          : 'the executable copies addons to $PKG_NATIVE_CACHE_PATH (default ~/.cache) before loading: make it writable (the systemd unit uses /var/cache/geostream); check the executable matches this CPU (uname -m)',
      );
    }
    return pass(`${table.names.join(', ')} (${process.platform}-${process.arch}, node ${process.version})`);
  },
};
