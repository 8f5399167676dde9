import type { Spec } from '../base/spec.js';
import { spoolDefaults as d } from './options.js';

/** The config's `spool` section; defaults are the spool's own (options.ts `spoolDefaults`). */
export const spoolSpec = {
  type: 'object',
  fields: {
    dir: { type: 'string', default: '/var/lib/geostream/spool', doc: 'spool directory (segment files and cursor.json)' },
    segmentBytes: { type: 'integer', min: 16384, max: 256 * 1024 * 1024, default: d.segmentBytes, doc: 'segment file size, a multiple of 4096' },
    capacityBytes: { type: 'integer', min: 65536, max: 64 * 1024 * 1024 * 1024, default: d.capacityBytes, doc: 'bound of all segments; beyond it old data is thinned, then dropped, with gap markers' },
    commitIntervalMs: { type: 'integer', min: 1, max: 60000, default: d.commitIntervalMs, doc: 'group commit: records are durable (and sendable) at most this long after append' },
    commitBytes: { type: 'integer', min: 1, max: 64 * 1024 * 1024, default: d.commitBytes, doc: 'group commit: or as soon as this many bytes wait' },
    fsync: { type: 'enum', values: ['group', 'always'], default: d.fsync, doc: '"always": fsync inside every append' },
    ringBytes: { type: 'integer', min: 16384, max: 256 * 1024 * 1024, default: d.ringBytes, doc: 'memory for records while the storage fails' },
  },
} as const satisfies Spec;
