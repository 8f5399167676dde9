import { execFile } from 'node:child_process';

/** What the kernel says about a CAN network interface (`ip -details -json link show`). */
export interface CanLinkInfo {
  exists: boolean;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** `can` (a controller), `vcan` (virtual), another kind, or null when not told. */
  kind: string | null;
  /** Nominal bit rate in bit/s; null on vcan and when not told. */
  bitrate: number | null;
  /** Controller modes set with `ip link set ... type can` (LISTEN-ONLY, ...). */
  ctrlmode: string[];
  /** ERROR-ACTIVE, ERROR-WARNING, ERROR-PASSIVE, BUS-OFF, STOPPED; null when not told. */
  state: string | null;
  /** Automatic restart after bus-off, ms (0 = never); null when not told. */
  restartMs: number | null;
}

/** Longest `ip` output read: one interface is a few hundred bytes. */
const MAX_OUTPUT = 64 * 1024;

const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null);

/** The first interface of `ip -details -json link show dev IFACE` output; null when the text is not that. */
export function parseIpLink(text: string): CanLinkInfo | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(doc)) return null;
  if (doc.length === 0) return { exists: false, up: false, kind: null, bitrate: null, ctrlmode: [], state: null, restartMs: null };
  const link = obj(doc[0]);
  const info = obj(link.linkinfo);
  const data = obj(info.info_data);
  const flags = Array.isArray(link.flags) ? link.flags : [];
  const ctrlmode = Array.isArray(data.ctrlmode) ? data.ctrlmode.filter((m): m is string => typeof m === 'string').slice(0, 16) : [];
  return {
    exists: true,
    up: flags.includes('UP'),
    kind: typeof info.info_kind === 'string' ? info.info_kind : null,
    bitrate: int(obj(data.bittiming).bitrate) ?? int(data.bittiming_bitrate),
    ctrlmode,
    state: typeof data.state === 'string' ? data.state : null,
    restartMs: int(data.restart_ms),
  };
}

/**
 * Runs `ip -details -json link show dev IFACE` (iproute2). Resolves null when `ip` is
 * missing or its output is not understood; `exists: false` when the interface is not there.
 */
export function canLinkInfo(iface: string, ip = 'ip'): Promise<CanLinkInfo | null> {
  return new Promise((resolve) => {
    execFile(ip, ['-details', '-json', 'link', 'show', 'dev', iface], { timeout: 2000, maxBuffer: MAX_OUTPUT }, (err, stdout, stderr) => {
      if (err && /does not exist/.test(String(stderr))) resolve(parseIpLink('[]'));
      else resolve(err ? null : parseIpLink(String(stdout)));
    });
  });
}
