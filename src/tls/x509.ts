/**
 * The one place that loads @peculiar/x509 (pure JS X.509 writer on Node's WebCrypto).
 * Its dependency injection needs the reflect-metadata polyfill loaded first; ESM
 * evaluates imports in order, so importing both here keeps that true in tests,
 * under tsx and in the esbuild bundle.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
export const subtle = webcrypto.subtle;

/** ECDSA P-256 with SHA-256: the fleet's only key and signature algorithm. */
export const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
