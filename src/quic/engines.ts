/**
 * The engine registry: one row per QuicEngine implementation (everything bundles into
 * one executable: static imports, or a dynamic import of a literal path). The ngtcp2
 * engine loads its addon through src/quic/native-loader.ts on first listen/connect.
 *
 * @matrixai/quic loads its native part (3 MB) and about 200 KiB of JavaScript when first
 * imported, so its engine is imported on its first listen/connect, not with this file:
 * an agent or server on the default engine never loads it (it would add to the agent's RSS). It has
 * no linux-arm64 build; scripts/package/bundle.mjs swaps its binding for a stub there.
 */
import type { Logger } from '../base/log.js';
import { QuicError, type ConnectOptions, type ListenOptions, type QuicEngine } from './engine.js';
import { createNgtcp2Engine } from './ngtcp2.js';
import type { RetryMode } from './ngtcp2-retry.js';

export type EngineName = QuicEngine['name'];

export interface EngineOptions {
  log?: Logger;
  /** Server: address validation by Retry (engines that see datagrams: ngtcp2). */
  retry?: RetryMode;
}

/** A QuicEngine that imports its module on first use. */
function lazyEngine(name: EngineName, load: () => Promise<QuicEngine>): QuicEngine {
  let engine: Promise<QuicEngine> | null = null;
  const get = (): Promise<QuicEngine> => (engine ??= load());
  return {
    name,
    listen: async (o: ListenOptions) => (await get()).listen(o),
    connect: async (o: ConnectOptions) => (await get()).connect(o),
  };
}

const factories: Partial<Record<EngineName, (opts: EngineOptions) => QuicEngine>> = {
  matrixai: (opts) => lazyEngine('matrixai', async () => new (await import('./matrixai.js')).MatrixaiEngine(opts)),
  ngtcp2: (opts) => createNgtcp2Engine({ ...(opts.log ? { log: opts.log } : {}), ...(opts.retry ? { retry: opts.retry } : {}) }),
};

export const ENGINE_NAMES: readonly EngineName[] = ['matrixai', 'ngtcp2'];

/**
 * The default on both sides: ngtcp2 passes the whole link suite, follows any number of
 * path changes per connection, survives long outages and builds for arm64 (where
 * @matrixai/quic does not exist). Keep src/link/config-spec.ts's default in step.
 */
export const DEFAULT_ENGINE: EngineName = 'ngtcp2';

/** Engines this build can create (the conformance suite runs over each). */
export function availableEngines(): EngineName[] {
  return ENGINE_NAMES.filter((n) => factories[n] !== undefined);
}

export function createEngine(name: EngineName, opts: EngineOptions = {}): QuicEngine {
  const make = factories[name];
  if (!make) {
    if (!ENGINE_NAMES.includes(name)) throw new QuicError('internal', `unknown QUIC engine '${String(name)}' (known: ${ENGINE_NAMES.join(', ')})`);
    throw new QuicError('internal', `QUIC engine '${name}' is not available in this build (available: ${availableEngines().join(', ')})`);
  }
  return make(opts);
}
