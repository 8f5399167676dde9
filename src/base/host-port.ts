/** HOST:PORT or [IPV6]:PORT, as configs and command lines give an address. */
export const HOST_PORT_PATTERN = /^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;

export interface HostPort {
  host: string;
  port: number;
}

/** Splits HOST:PORT or [IPV6]:PORT; a port out of 1-65535 (0 allowed for listening) is an error. */
export function parseHostPort(s: string, allowPortZero = false): HostPort {
  const m = /^\[([0-9a-fA-F:]+)\]:(\d{1,5})$/.exec(s) ?? /^([^\s:]+):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < (allowPortZero ? 0 : 1) || port > 65535) throw new Error(`"${s}" is not HOST:PORT`);
  return { host: m[1]!, port };
}
