import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/shared.js';

/** Runs the child under a private mount namespace; the fake tree vanishes with it. */
function inNamespace(script: string, arg: string): Record<string, unknown> {
  const child = join(repoRoot, 'test', 'sensors', 'sysfs', script);
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', '--', process.execPath, '--import', 'tsx', child, arg], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.status !== 0) throw new Error(`namespace child failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

describe('real onoff against a fake sysfs tree (private mount namespace)', () => {
  it('Pi 5: finds pinctrl-rp1 at base 571 among other chips, exports 571+line through the handshake, sets direction/value/edge/active_low, unexports on close', () => {
    const o = inNamespace('child.ts', 'pi5');
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
    const o = inNamespace('child.ts', 'pi4');
    expect(o.error).toBeUndefined();
    expect(o.chip).toMatchObject({ label: 'pinctrl-bcm2711', base: 512 });
    expect(o.ledNumber).toBe(529);
    expect(o.journal).toContain('export 529');
  });
});

describe('real onoff edges through a FUSE sysfs (pollable value files)', () => {
  let dir = '';
  let gpiofs = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sensors-gpiofs-'));
    gpiofs = join(dir, 'gpiofs');
    const src = join(repoRoot, 'test', 'sensors', 'sysfs', 'gpiofs.c');
    const flags = spawnSync('pkg-config', ['--cflags', '--libs', 'fuse3'], { encoding: 'utf8' });
    if (flags.status !== 0) throw new Error('pkg-config fuse3 failed: install libfuse3-dev and pkg-config (scripts/apt/sensors.txt)');
    const cc = spawnSync('gcc', ['-O1', '-Wall', '-o', gpiofs, src, ...flags.stdout.trim().split(/\s+/)], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`building gpiofs failed (gcc, libfuse3-dev): ${cc.stderr}`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('EBUSY and EINVAL on export come back as GpioErrors that name the sysfs number and say what to do', () => {
    const o = inNamespace('child-fuse.ts', gpiofs);
    expect(o.error).toBeUndefined();
    expect(o.busy).toEqual({ code: 'EBUSY', message: expect.stringMatching(/^GPIO 13 \(sysfs 584 = base 571 \+ 13 on pinctrl-rp1\): export refused with EBUSY: .*in use by a kernel driver/) });
    expect(o.refused).toEqual({ code: 'EINVAL', message: expect.stringMatching(/^GPIO 4 \(sysfs 575 = base 571 \+ 4 on pinctrl-rp1\): export refused with EINVAL: .*base 512 on a Pi 4, 571 on a Pi 5/) });
    // watch(): one callback per edge with the new level, through epoll(EPOLLPRI)
    expect(o.edges).toEqual([1, 0, 1]);
    // tach: 40 pulses at 2 pulses/rev in a 1 s window
    expect(o.tachCount).toBe(40);
    expect(o.tachRpm).toBe(1200);
    // 20 pulses shorter than the loop latency: one merged notification each, none lost
    expect(o.shortPulses).toBe(20);
    expect(o.shortCallbacks).toBe(20); // one per pulse: the merge really happened
    // ignition: active low, debounced 100 ms; a 30 ms dip produces no event
    expect(o.ignitionInitial).toBe(false);
    expect(o.ignition).toEqual([true, false]);
    expect(o.journal).toEqual(expect.arrayContaining(['export 584 EBUSY', 'export 575 EINVAL', 'gpio588/active_low=1', 'gpio588/edge=both', 'gpio598/edge=both', 'unexport 588', 'unexport 593', 'unexport 598']));
  });
});
