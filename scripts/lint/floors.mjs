import { dirname, resolve } from 'node:path';

/**
 * The floors of src/, bottom-up. A module may import its own room and any room on a lower
 * floor; never a room on its own floor or above. eslint.config.js enforces this through
 * the `geostream/floors` rule; docs/ARCHITECTURE.md explains each room.
 */
export const FLOORS = [
  ['base'],
  ['hal', 'codec', 'sim'],
  ['gnss', 'sensors', 'spool', 'tls', 'status', 'vehicle'],
  ['protocol'],
  ['quic', 'telemetry'],
  ['link'],
  ['agent', 'server'],
  ['selftest'],
  ['commands'],
  ['cli.ts'],
];

const floorOf = new Map(FLOORS.flatMap((rooms, i) => rooms.map((r) => [r, i])));

/** The room of a path inside src/ ('hal' for src/hal/uart.ts, 'cli.ts' for src/cli.ts), or null. */
export function roomOf(absPath, srcDir) {
  const rel = absPath.startsWith(srcDir + '/') ? absPath.slice(srcDir.length + 1) : null;
  if (rel === null) return null;
  return rel.split('/')[0];
}

/** Why `from` may not import `to` (rooms), or null when it may. */
export function floorViolation(from, to) {
  if (from === to) return null;
  const a = floorOf.get(from);
  const b = floorOf.get(to);
  if (a === undefined) return `src/${from} is on no floor (add it to scripts/lint/floors.mjs)`;
  if (b === undefined) return `src/${to} is on no floor (add it to scripts/lint/floors.mjs)`;
  if (b < a) return null;
  return b === a
    ? `src/${from} and src/${to} are rooms of one floor; neither may import the other`
    : `src/${from} (floor ${a}) may not import src/${to} (floor ${b}): imports run down the floors`;
}

/** The eslint rule: reports each relative import in src/ that runs up or across a floor. */
export function floorsRule(srcDir) {
  return {
    meta: { type: 'problem', docs: { description: 'imports in src/ run down the floors (scripts/lint/floors.mjs)' }, schema: [] },
    create(context) {
      const file = context.physicalFilename ?? context.filename;
      const from = roomOf(file, srcDir);
      if (from === null) return {};
      const check = (node, source) => {
        if (!source || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
        const to = roomOf(resolve(dirname(file), source.value), srcDir);
        const why = to === null ? `src/${from} may not import outside src/ (${source.value})` : floorViolation(from, to);
        if (why) context.report({ node: source, message: why });
      };
      return {
        ImportDeclaration: (n) => check(n, n.source),
        ExportNamedDeclaration: (n) => check(n, n.source),
        ExportAllDeclaration: (n) => check(n, n.source),
        ImportExpression: (n) => check(n, n.source),
      };
    },
  };
}
