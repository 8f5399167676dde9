import { gga } from './gga.js';
import { gll } from './gll.js';
import { gns } from './gns.js';
import { gsa } from './gsa.js';
import { gsv } from './gsv.js';
import { rmc } from './rmc.js';
import { vtg } from './vtg.js';
import { zda } from './zda.js';
import type { SentenceDecoder } from './types.js';

export type { Observation, Position, SentenceDecoder } from './types.js';

/** The sentence table: one row per formatter, any talker (GP, GN, GL, GA, GB, BD, GQ, GI, ...). */
export const SENTENCES: ReadonlyMap<string, SentenceDecoder> = new Map(
  [gga, rmc, vtg, gsa, gsv, gll, gns, zda].map((d) => [d.type, d]),
);

/** Three formatter letters as one integer (table lookup without slicing the string). */
export function formatterKey(s: string, at: number): number {
  return (s.charCodeAt(at) << 16) | (s.charCodeAt(at + 1) << 8) | s.charCodeAt(at + 2);
}

/** The same table keyed by formatterKey(). */
export const SENTENCES_BY_KEY: ReadonlyMap<number, SentenceDecoder> = new Map([...SENTENCES.values()].map((d) => [formatterKey(d.type, 0), d]));
