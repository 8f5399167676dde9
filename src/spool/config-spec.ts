import type { Spec } from '../config/schema.js';

/** Spool options. Owned by the spool work. */
export const spoolSpec = {
  type: 'object',
  fields: {
    dir: { type: 'string', default: '/var/lib/geostream/spool' },
  },
} as const satisfies Spec;
