import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../helpers/shared.js';

/** Runs the child under a private mount namespace; the fake tree vanishes with it. */
function inNamespace(scenario: string): Record<string, unknown> {
  const child = join(repoRoot, 'test', 'sensors', 'sysfs', 'child.ts');
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', '--', process.execPath, '--import', 'tsx', child, scenario], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.status !== 0) throw new Error(`namespace child failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

describe('real onoff against a fake sysfs tree (private mount namespace)', () => {
  it('Pi 5: finds pinctrl-rp1 at base 571 among other chips, exports 571+line through the handshake, sets direction/value/edge/active_low, unexports on close', () => {
    const o = inNamespace('pi5');
    expect(o.error).toBeUndefined();
    expect(o.chip).toMatchObject({ label: 'pinctrl-rp1', base: 571, ngpio: 54 });
    expect(o.ledNumber).toBe(588);
    expect(o.ledDirection).toBe('low'); // direction and initial level in one write
    expect(o.ledValueOn).toBe('1\n'); // onoff writes one byte at offset 0
    expect(o.ledValueOff).toBe('0\n');
    // active-low LED, logical off = physical high: onoff writes active_low first, then 'high'
    expect(o.activeLowLed).toEqual({ activeLow: '1', direction: 'high' });
    expect(o.input).toEqual({ direction: 'in', edge: 'both', activeLow: '1' });
    expect(o.inputLogical).toBe(1);
    expect(o.outOfRange).toMatch(/GPIO 60 does not exist on pinctrl-rp1 \(lines 0\.\.53\)/);
    expect(o.afterClose).toEqual({ led: false, input: false });
    expect(o.noChip).toMatch(/no GPIO chip labelled "pinctrl-nope".*gpiochip571 "pinctrl-rp1" base 571 ngpio 54/);
    expect(o.journal).toEqual(['ready', 'export 588', 'export 584', 'unexport 584', 'export 593', 'unexport 588', 'unexport 593']);
  });

  it('Pi 4: pinctrl-bcm2711 at base 512, line 17 is sysfs 529', () => {
    const o = inNamespace('pi4');
    expect(o.error).toBeUndefined();
    expect(o.chip).toMatchObject({ label: 'pinctrl-bcm2711', base: 512 });
    expect(o.ledNumber).toBe(529);
    expect(o.journal).toContain('export 529');
  });
});
