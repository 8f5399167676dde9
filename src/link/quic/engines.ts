/**
 * The engine registry: one row per QuicEngine implementation, static imports only
 * (everything bundles into one executable). The ngtcp2 engine loads its addon
 * through src/link/quic/native-loader.ts on first listen/connect.
 *
 * Note for packaging: @matrixai/quic loads its native part when first imported and
 * has no linux-arm64 build, so an arm64 bundle must swap matrixai.ts for a stub
 * (esbuild alias) or importing this file fails there.
 */
import type { Logger } from '../../log.js';
import { QuicError, type QuicEngine } from './engine.js';
import { MatrixaiEngine } from './matrixai.js';
import { createNgtcp2Engine } from './ngtcp2.js';

export type EngineName = QuicEngine['name'];

export interface EngineOptions {
  log?: Logger;
}

const factories: Partial<Record<EngineName, (opts: EngineOptions) => QuicEngine>> = {
  matrixai: (opts) => new MatrixaiEngine(opts),
  ngtcp2: (opts) => createNgtcp2Engine(opts.log ? { log: opts.log } : {}),
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
