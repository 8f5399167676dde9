import { readFileSync } from 'node:fs';
import { ConfigError, errorCode } from './errors.js';
import { validate, type Infer, type Spec } from './spec.js';

/** Reads a JSON file and validates it; every failure is a ConfigError naming the file. */
export function loadJson<S extends Spec>(file: string, spec: S): Infer<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = errorCode(err);
    throw new ConfigError(file, '', code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : `cannot read (${code ?? String(err)})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(file, '', `not valid JSON: ${(err as Error).message}`);
  }
  return validate(spec, data, file);
}
