import { EventEmitter } from 'node:events';

export type GnssState = 'no-data' | 'no-fix' | 'fix';
export type LinkState = 'disabled' | 'connecting' | 'online' | 'offline';

/** What the agent is doing now: read by the LEDs, `geostream status`, the self-test. */
export interface AgentStatus {
  gnss: GnssState;
  link: LinkState;
  /** Components currently failed (e.g. 'storage', 'sensor:tyre-fl'), with why. */
  faults: Record<string, string>;
  /** Records not yet acknowledged by the server. */
  backlog: number;
  /** Free-form per-component details for `geostream status` (counters, last fix, ...). */
  details: Record<string, unknown>;
}

/**
 * The single place components publish their state to. Emits 'change' with the part
 * that changed; setting the same value again emits nothing.
 */
export class StatusBoard extends EventEmitter {
  private s: AgentStatus = { gnss: 'no-data', link: 'disabled', faults: {}, backlog: 0, details: {} };

  snapshot(): AgentStatus {
    return structuredClone(this.s);
  }
  get gnss(): GnssState {
    return this.s.gnss;
  }
  get link(): LinkState {
    return this.s.link;
  }
  get faulted(): boolean {
    return Object.keys(this.s.faults).length > 0;
  }
  setGnss(state: GnssState): void {
    if (this.s.gnss !== state) {
      this.s.gnss = state;
      this.emit('change', 'gnss');
    }
  }
  setLink(state: LinkState): void {
    if (this.s.link !== state) {
      this.s.link = state;
      this.emit('change', 'link');
    }
  }
  setBacklog(n: number): void {
    this.s.backlog = n;
  }
  /** Marks a component failed (why: a short reason) or recovered (why: null). */
  setFault(component: string, why: string | null): void {
    const had = component in this.s.faults;
    if (why === null) {
      if (!had) return;
      delete this.s.faults[component];
    } else {
      if (this.s.faults[component] === why) return;
      this.s.faults[component] = why;
    }
    this.emit('change', 'faults');
  }
  setDetail(component: string, value: unknown): void {
    this.s.details[component] = value;
  }
}
