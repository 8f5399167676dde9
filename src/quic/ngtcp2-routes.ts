import type { Ngtcp2Connection } from './ngtcp2-connection.js';

/**
 * The server's connection IDs: which connection a datagram's destination connection ID
 * belongs to. A connection is entered with the IDs it starts with and follows as it issues
 * and retires IDs, so a device keeps its connection through any number of address changes.
 */
export class CidRoutes {
  private readonly routes = new Map<string, Ngtcp2Connection>();
  private readonly cids = new Map<Ngtcp2Connection, Set<string>>();

  get(dcid: string): Ngtcp2Connection | undefined {
    return this.routes.get(dcid);
  }

  add(c: Ngtcp2Connection, ids: Iterable<string>): void {
    const set = new Set(ids);
    this.cids.set(c, set);
    for (const id of set) this.routes.set(id, c);
  }

  /** A connection issued (added) or retired one of its connection IDs. */
  update(c: Ngtcp2Connection, cid: string, added: boolean): void {
    const set = this.cids.get(c);
    if (added) {
      this.routes.set(cid, c);
      set?.add(cid);
    } else {
      if (this.routes.get(cid) === c) this.routes.delete(cid);
      set?.delete(cid);
    }
  }

  /** The connection closed: none of its IDs routes any more. */
  remove(c: Ngtcp2Connection): void {
    for (const id of this.cids.get(c) ?? []) if (this.routes.get(id) === c) this.routes.delete(id);
    this.cids.delete(c);
  }
}
