import { dirname } from 'node:path';
import type { Infer, Spec } from '../base/spec.js';
import { loadJson } from '../base/json-file.js';
import { loadBoard, type Board } from '../hal/board.js';
import { gnssSpec, samplingSpec } from '../gnss/config-spec.js';
import { spoolSpec } from '../spool/config-spec.js';
import { serverSpec } from '../link/config-spec.js';
import { sensorsSpec } from '../sensors/config-spec.js';

/** A vehicle's config: who it is, which board it runs on, and how it behaves. */
export const configSpec = {
  type: 'object',
  fields: {
    vehicle: {
      type: 'object',
      fields: {
        id: { type: 'string', pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, patternHint: 'a vehicle id of letters, digits, ".", "_" or "-" (at most 64)' },
      },
    },
    board: { type: 'string', doc: 'board name (sim, pi4-fleet, ...) or path to a board JSON file' },
    log: {
      type: 'object',
      fields: { level: { type: 'enum', values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'], default: 'info' } },
    },
    gnss: gnssSpec,
    sampling: samplingSpec,
    spool: spoolSpec,
    server: serverSpec,
    sensors: sensorsSpec,
  },
} as const satisfies Spec;

export type Config = Infer<typeof configSpec> & { file: string; boardInfo: Board };

export function loadConfig(file: string): Config {
  const cfg = loadJson(file, configSpec);
  const boardInfo = loadBoard(cfg.board, dirname(file), file);
  return { ...cfg, file, boardInfo };
}
