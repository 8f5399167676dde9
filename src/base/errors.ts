/** Errors the CLI maps to exit code 2: the user asked for something malformed. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A config or board file is wrong; the message names the file and the key. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly key: string,
    readonly problem: string,
  ) {
    super(`${file}: ${key ? `key '${key}'` : 'file'}: ${problem}`);
  }
}

/** Best-effort message from anything thrown, without leaking stack traces to users. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** errno-style code of a Node system error, if any. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
