import type { Spec } from '../base/spec.js';

/**
 * Acquisition filter rules, like a commercial tracker's (Teltonika "data acquisition"):
 * a record is taken when any trigger fires. See src/gnss/filter.ts for the semantics,
 * in particular what the periods mean at 10 Hz input.
 */
export const samplingSpec = {
  type: 'object',
  fields: {
    minPeriodS: { type: 'number', min: 0.1, max: 86400, default: 1, doc: 'time trigger while moving: a record at least this often (GNSS time)' },
    minIntervalS: { type: 'number', min: 0, max: 3600, default: 0.5, doc: 'distance/heading/speed triggers never fire closer together than this' },
    minDistanceM: { type: 'number', min: 1, max: 100000, default: 100, doc: 'distance trigger: metres from the last record' },
    minHeadingDeg: { type: 'number', min: 1, max: 180, default: 10, doc: 'heading trigger: course change since the last record' },
    headingMinSpeedKmh: { type: 'number', min: 0, max: 300, default: 10, doc: 'heading trigger only above this speed (course is noise when slow)' },
    minSpeedChangeKmh: { type: 'number', min: 0.1, max: 300, default: 10, doc: 'speed trigger: change since the last record' },
    stationarySpeedKmh: { type: 'number', min: 0, max: 50, default: 5, doc: 'below this speed the vehicle may be stationary' },
    stationaryAfterS: { type: 'number', min: 0, max: 86400, default: 60, doc: 'slow for this long = stationary' },
    heartbeatS: { type: 'number', min: 1, max: 86400, default: 300, doc: 'while stationary: one record this often' },
  },
} as const satisfies Spec;

/** GNSS receiver options. */
export const gnssSpec = {
  type: 'object',
  fields: {
    noDataTimeoutS: { type: 'number', min: 1, max: 600, default: 5, doc: 'silence after which the receiver is "no data" and its port is reopened' },
    notBefore: {
      type: 'string',
      optional: true,
      pattern: /^\d{4}-\d{2}-\d{2}$/,
      patternHint: 'a date YYYY-MM-DD',
      doc: 'GPS week-rollover pivot: receiver dates before it get 1024 weeks added (default: the release date)',
    },
  },
} as const satisfies Spec;
