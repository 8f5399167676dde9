import type { Spec } from '../config/schema.js';

/** Where the agent sends its records. Owned by the link work. */
export const serverSpec = {
  type: 'object',
  optional: true,
  fields: {
    address: { type: 'string', pattern: /^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, patternHint: 'HOST:PORT' },
  },
} as const satisfies Spec;
