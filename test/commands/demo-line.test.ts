import { describe, expect, it } from 'vitest';
import { progressLine } from '../../src/commands/demo.js';

const base = { elapsedS: 512.4, taken: 428, sent: 428, acked: 427, backlog: 0, link: 'online' };

describe("the demo's live line", () => {
  it('while driving: the counts', () => {
    expect(progressLine({ ...base, nextHeartbeatInS: null })).toBe('512 s  fixes taken 428  sent 428  acked 427  backlog 0  link online');
  });

  it('at a delivery stop: says the truck is parked and when the next record comes', () => {
    expect(progressLine({ ...base, nextHeartbeatInS: 241.2 })).toMatch(/link online {2}parked: next heartbeat record in 242 s$/);
  });
});
