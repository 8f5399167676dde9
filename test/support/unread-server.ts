/**
 * A hostile geostream server over a real QUIC engine: it answers HELLO with WELCOME
 * on the control stream, then ACKs every seq it is told the device wrote, and never
 * reads a data stream (so QUIC flow control stops the device's transport). What to
 * ACK comes from `written()` (the device's own count of records written on its
 * backlog stream): the server reads none of it.
 */
import { createEngine, type EngineName } from '../../src/quic/engines.js';
import type { QuicServer, QuicStream } from '../../src/quic/engine.js';
import { ALPN, PROTOCOL_VERSION, type Frame } from '../../src/protocol/messages.js';
import { FrameReader } from '../../src/protocol/reader.js';
import { encodeFrame } from '../../src/protocol/wire.js';
import type { TlsMaterial } from '../../src/tls/material.js';

export interface UnreadServer {
  readonly server: QuicServer;
  /** ACK frames sent so far (repeats included). */
  readonly acks: number;
  /** Data streams the device opened (never read). */
  readonly dataStreams: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1; after WELCOME sends `ACK [[1, written()]]` every `everyMs`. */
export async function startUnreadServer(engine: EngineName, tls: TlsMaterial, written: () => number, everyMs = 20): Promise<UnreadServer> {
  const server = await createEngine(engine).listen({ alpn: [ALPN], tls, idleTimeoutMs: 60_000, keepAliveMs: 5_000, host: '127.0.0.1', port: 0 });
  const timers = new Set<NodeJS.Timeout>();
  const st = { server, acks: 0, dataStreams: 0 };
  const onControl = async (control: QuicStream) => {
    const reader = new FrameReader();
    for await (const chunk of control) {
      for (const f of reader.push(chunk)) {
        if (f.type !== 'HELLO') continue;
        await control.write(encodeFrame(welcome(f)));
        const t = setInterval(() => {
          const n = written();
          if (n === 0) return;
          st.acks++;
          control.write(encodeFrame({ type: 'ACK', ranges: [[1, n]] })).catch(() => clearInterval(t));
        }, everyMs);
        timers.add(t);
      }
    }
  };
  server.on('connection', (conn) => {
    conn.on('stream', (s) => {
      if (s.kind === 'bidi') void onControl(s).catch(() => undefined);
      else st.dataStreams++;
    });
  });
  return Object.assign(st, {
    close: async () => {
      for (const t of timers) clearInterval(t);
      await server.close();
    },
  });
}

function welcome(hello: Extract<Frame, { type: 'HELLO' }>): Frame {
  if (hello.version !== PROTOCOL_VERSION) throw new Error(`HELLO version ${hello.version}`);
  return { type: 'WELCOME', time: Date.now(), spool: hello.spool, high: 0, stored: [], config: { batchRecords: 256, batchBytes: 64 * 1024, windowRecords: 65_536 } };
}
