export * from './close-codes.js';
export * from './frames.js';
export * from './ranges.js';
export * from './backoff.js';
export * from './spool-view.js';
export * from './device-core.js';
export * from './server-core.js';
