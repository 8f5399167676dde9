/**
 * The native addons inside the packaged executable. From source (node dist/cli.js, tsx)
 * this returns null and each package loads its own addon from node_modules. In the
 * executable, scripts/package/bundle.mjs replaces this module with the generated addon
 * table, the one place every addon is loaded from there.
 */
export interface AddonTable {
  /** Addons built into this executable, e.g. ['serialport', 'i2c', 'epoll', ...]. */
  names: string[];
  /** Loads one (pkg copies it to PKG_NATIVE_CACHE_PATH first); throws when it cannot. */
  load(name: string): unknown;
}

export function bundledAddons(): AddonTable | null {
  return null;
}
