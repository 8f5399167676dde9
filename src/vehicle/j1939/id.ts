/**
 * The 29-bit J1939 identifier (SAE J1939-21): priority (3 bits), extended data page and
 * data page, PDU format (PF), PDU specific (PS), source address. PF < 240 is PDU1: PS is
 * the destination address and not part of the PGN. PF >= 240 is PDU2: broadcast, PS is
 * the group extension.
 */
export interface J1939Id {
  priority: number;
  pgn: number;
  /** Source address. */
  sa: number;
  /** Destination address (255: global, always for PDU2). */
  da: number;
}

export const GLOBAL = 0xff;

export function parseId(id: number): J1939Id {
  const priority = (id >>> 26) & 0x7;
  const pf = (id >>> 16) & 0xff;
  const ps = (id >>> 8) & 0xff;
  const page = (id >>> 24) & 0x3;
  const sa = id & 0xff;
  if (pf < 240) return { priority, pgn: (page << 16) | (pf << 8), sa, da: ps };
  return { priority, pgn: (page << 16) | (pf << 8) | ps, sa, da: GLOBAL };
}

export function makeId(priority: number, pgn: number, sa: number, da = GLOBAL): number {
  const pf = (pgn >>> 8) & 0xff;
  const ps = pf < 240 ? da & 0xff : pgn & 0xff;
  return (((priority & 7) << 26) | (((pgn >>> 16) & 3) << 24) | (pf << 16) | (ps << 8) | (sa & 0xff)) >>> 0;
}
