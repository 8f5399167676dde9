import { describe, expect, it } from 'vitest';
import { LogSummary, OTHER_REASONS } from '../../src/base/log-summary.js';
import { ManualClock } from '../../src/base/clock.js';
import { summaryCounts } from '../support/log-summaries.js';

function setup(maxReasons?: number) {
  const clock = new ManualClock();
  const lines: string[] = [];
  const s = new LogSummary({ emit: (l) => lines.push(l), what: 'handshake refused', clock, ...(maxReasons ? { maxReasons } : {}) });
  return { clock, lines, s };
}

describe('LogSummary', () => {
  it('a flood of 8,000 refusals of one reason over 20 s is 3 lines: the first at once, then one count per 10 s', () => {
    const { clock, lines, s } = setup();
    for (let i = 0; i < 8000; i++) {
      s.note('ERR_DROP_CONN', `from 192.0.2.${i % 250}:${1000 + i}`);
      clock.advance(2.5);
    }
    s.flush();
    expect(lines).toEqual([
      'handshake refused: ERR_DROP_CONN (from 192.0.2.0:1000)',
      'handshake refused: ERR_DROP_CONN: 3999 more in the last 10 s (latest from 192.0.2.249:4999)',
      'handshake refused: ERR_DROP_CONN: 4000 more in the last 10 s (latest from 192.0.2.249:8999)',
    ]);
  });

  it('logs each reason on its own, and a reason that went quiet is logged at once when it comes back', () => {
    const { clock, lines, s } = setup();
    s.note('bad certificate', 'from 10.0.0.1:1');
    s.note('wrong ALPN', 'from 10.0.0.2:2');
    s.note('bad certificate', 'from 10.0.0.3:3');
    clock.advance(10_000);
    s.flush();
    clock.advance(10_000);
    s.flush(); // a window with nothing in it: forgotten, no line
    s.note('bad certificate', 'from 10.0.0.4:4');
    expect(lines).toEqual([
      'handshake refused: bad certificate (from 10.0.0.1:1)',
      'handshake refused: wrong ALPN (from 10.0.0.2:2)',
      'handshake refused: bad certificate: 1 more in the last 10 s (latest from 10.0.0.3:3)',
      'handshake refused: bad certificate (from 10.0.0.4:4)',
    ]);
  });

  it('tracks a bounded number of reasons: a peer varying the text ends up under other reasons', () => {
    const { lines, s } = setup(4);
    for (let i = 0; i < 1000; i++) s.note(`certificate CN=evil-${i} is revoked`, `from 10.0.0.9:${i}`);
    s.close();
    expect(lines).toHaveLength(4 + 1 + 1);
    expect(lines[4]).toBe(`handshake refused: ${OTHER_REASONS} (certificate CN=evil-4 is revoked, from 10.0.0.9:4)`);
    expect(lines[5]).toBe(`handshake refused: ${OTHER_REASONS}: 995 more in the last 0 s (latest certificate CN=evil-999 is revoked, from 10.0.0.9:999)`);
  });

  it('a peer cannot forge a log line: control characters replaced, text cut at 200 characters', () => {
    const { lines, s } = setup();
    s.note('bad\nserver: all good\r', 'from x');
    s.note('y'.repeat(1000), 'from z');
    expect(lines[0]).toBe('handshake refused: bad?server: all good? (from x)');
    expect(lines[1]).toBe(`handshake refused: ${'y'.repeat(200)}... (from z)`);
  });

  it('close() reports what was not logged yet', () => {
    const { lines, s } = setup();
    s.note('a', 'from 1');
    s.note('a', 'from 2');
    s.close();
    expect(lines).toEqual(['handshake refused: a (from 1)', 'handshake refused: a: 1 more in the last 0 s (latest from 2)']);
  });
});

describe('summaryCounts (reading the summaries back)', () => {
  it('gives back the exact count per reason, parentheses in a reason included', () => {
    const { clock, lines, s } = setup();
    for (let i = 0; i < 2500; i++) {
      s.note(i % 5 ? 'connection dropped (ERR_DROP_CONN)' : 'bad certificate', `from 10.0.0.1:${i}`);
      clock.advance(10);
    }
    s.close();
    const c = summaryCounts(lines.map((l) => `WARN: server: ${l}`).join('\n'), 'handshake refused');
    expect(Object.fromEntries(c)).toEqual({ 'connection dropped (ERR_DROP_CONN)': 2000, 'bad certificate': 500 });
  });
});
