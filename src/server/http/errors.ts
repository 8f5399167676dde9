/** A request the API refuses: its status and a message for the client (naming the parameter, if one is wrong). */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly parameter?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  get body(): Record<string, string> {
    return this.parameter ? { error: this.message, parameter: this.parameter } : { error: this.message };
  }
}

export const badParam = (parameter: string, message: string) => new HttpError(400, `${parameter}: ${message}`, parameter);
