export { Spool, type SpoolEntry, type SpoolStats, type LossEvent } from './spool.js';
export { ReadOnlySpool, type ReadOnlySpoolOptions } from './read-only.js';
export { type SpoolOptions, spoolDefaults, spoolOptionsFromConfig } from './options.js';
export { type SpoolGap, type GapReason } from './gap.js';
export { type SpoolFs, realFs } from './fs.js';
export { MAX_PAYLOAD } from './constants.js';
export { flushOnSignals } from './signals.js';
