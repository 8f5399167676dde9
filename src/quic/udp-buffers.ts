import type { Logger } from '../base/log.js';

/**
 * Socket buffers of the server's UDP socket. At the kernel default (net.core.rmem_default,
 * 208 KiB) the ingest server dropped 3,878 datagrams with 500 simulated vehicles at
 * 1 Hz (RcvbufErrors in /proc/net/snmp); 4 MiB gave none at 300. Best effort: the
 * kernel caps what we ask at net.core.rmem_max / wmem_max, and we say so once.
 */
export const DEFAULT_UDP_BUFFER_BYTES = 4 * 1024 * 1024;

/** The part of node's dgram.Socket this needs (bound: node refuses before bind). */
export interface BufferSocket {
  setRecvBufferSize(size: number): void;
  setSendBufferSize(size: number): void;
  getRecvBufferSize(): number;
  getSendBufferSize(): number;
}

export interface UdpBuffers {
  /** What the kernel reports (Linux reports twice what it grants, for its bookkeeping). */
  recv: number;
  send: number;
}

let cappedWarned = false;

/** Tests: warn again. */
export function resetUdpBufferWarning(): void {
  cappedWarned = false;
}

const kib = (n: number) => `${Math.round(n / 1024)} KiB`;

/**
 * Asks for `bytes` of receive and send buffer (0: leave the kernel default). Never
 * throws: a refusal or a cap is logged once per process, with the sysctl that lifts it.
 */
export function applyUdpBuffers(sock: BufferSocket, bytes: number, log: Logger, platform: NodeJS.Platform = process.platform): UdpBuffers {
  const problems: string[] = [];
  if (bytes > 0) {
    // Linux doubles the value it stores; anything below 2x what we asked was capped.
    const want = platform === 'linux' ? 2 * bytes : bytes;
    const sides = [
      ['receive', 'rmem_max', (n: number) => sock.setRecvBufferSize(n), () => sock.getRecvBufferSize()],
      ['send', 'wmem_max', (n: number) => sock.setSendBufferSize(n), () => sock.getSendBufferSize()],
    ] as const;
    for (const [side, sysctl, set, get] of sides) {
      try {
        set(bytes);
        const got = get();
        if (got < want) problems.push(`${side} buffer ${kib(got)}, not ${kib(want)}: the kernel caps it at net.core.${sysctl} (sysctl -w net.core.${sysctl}=${bytes})`);
      } catch (err) {
        problems.push(`${side} buffer of ${kib(bytes)} refused: ${(err as Error).message}`);
      }
    }
  }
  if (problems.length && !cappedWarned) {
    cappedWarned = true;
    log.warn(`UDP socket: ${problems.join('; ')}; under load datagrams are dropped (RcvbufErrors in /proc/net/snmp)`);
  }
  let recv = 0;
  let send = 0;
  try {
    recv = sock.getRecvBufferSize();
    send = sock.getSendBufferSize();
  } catch {
    // not a bound socket: nothing to report
  }
  return { recv, send };
}
