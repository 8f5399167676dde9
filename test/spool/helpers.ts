import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { expect } from 'vitest';
import { realFs, type SpoolFs } from '../../src/spool/fs.js';
import type { SpoolEntry } from '../../src/spool/index.js';

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir(prefix = 'geostream-spool-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export type FsOp = keyof SpoolFs;

/**
 * The real filesystem with test controls: make chosen operations fail with an errno code
 * (optionally only for paths matching a pattern), and count bytes written and fsyncs.
 */
export class FaultyFs implements SpoolFs {
  failing = new Map<FsOp, string>();
  pathFilter: RegExp | null = null;
  bytesWritten = 0;
  fsyncs = 0;
  /** failures injected so far */
  injected = 0;
  private fdPaths = new Map<number, string>();

  failOn(ops: FsOp[], code: string): void {
    for (const op of ops) this.failing.set(op, code);
  }
  heal(): void {
    this.failing.clear();
  }
  private check(op: FsOp, path?: string): void {
    const code = this.failing.get(op);
    if (!code) return;
    if (this.pathFilter && path !== undefined && !this.pathFilter.test(path)) return;
    this.injected++;
    throw Object.assign(new Error(`${code}: injected failure, ${op}${path ? ` '${path}'` : ''}`), { code, syscall: op, path });
  }
  mkdirSync(dir: string) {
    this.check('mkdirSync', dir);
    realFs.mkdirSync(dir);
  }
  readdirSync(dir: string) {
    this.check('readdirSync', dir);
    return realFs.readdirSync(dir);
  }
  readFileSync(path: string) {
    this.check('readFileSync', path);
    return realFs.readFileSync(path);
  }
  openSync(path: string, flags: 'r' | 'w' | 'r+') {
    if (flags !== 'r') this.check('openSync', path);
    const fd = realFs.openSync(path, flags);
    this.fdPaths.set(fd, path);
    return fd;
  }
  closeSync(fd: number) {
    this.fdPaths.delete(fd);
    realFs.closeSync(fd);
  }
  readSync(fd: number, buf: Uint8Array, off: number, len: number, pos: number) {
    this.check('readSync', this.fdPaths.get(fd));
    return realFs.readSync(fd, buf, off, len, pos);
  }
  writeSync(fd: number, buf: Uint8Array, off: number, len: number, pos: number) {
    this.check('writeSync', this.fdPaths.get(fd));
    const n = realFs.writeSync(fd, buf, off, len, pos);
    this.bytesWritten += n;
    return n;
  }
  ftruncateSync(fd: number, len: number) {
    this.check('ftruncateSync', this.fdPaths.get(fd));
    realFs.ftruncateSync(fd, len);
  }
  fsyncSync(fd: number) {
    this.check('fsyncSync', this.fdPaths.get(fd));
    this.fsyncs++;
    realFs.fsyncSync(fd);
  }
  async fdatasync(fd: number) {
    this.check('fdatasync', this.fdPaths.get(fd));
    this.fsyncs++;
    await realFs.fdatasync(fd);
  }
  async fsync(fd: number) {
    this.check('fsync', this.fdPaths.get(fd));
    this.fsyncs++;
    await realFs.fsync(fd);
  }
  renameSync(from: string, to: string) {
    this.check('renameSync', to);
    realFs.renameSync(from, to);
  }
  unlinkSync(path: string) {
    this.check('unlinkSync', path);
    realFs.unlinkSync(path);
  }
}

/** A logger that keeps its lines (to check "one log line per state change"). */
export function memoryLogger(): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const dest = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push((JSON.parse(l) as { msg: string }).msg);
      cb();
    },
  });
  return { log: pino({ level: 'debug', base: undefined }, dest), lines };
}

/** Deterministic payload for record i (so tests can verify every byte). */
export function payloadFor(i: number, size = 40): Uint8Array {
  const b = Buffer.alloc(size);
  b.write(`rec-${i}-`);
  for (let k = 12; k < size; k++) b[k] = (i * 31 + k * 7) & 0xff;
  return b;
}

export const T0 = 1_700_000_000_000;

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Seqs strictly increase and every data entry is exactly the payload appended with that seq. */
export function expectIntact(entries: SpoolEntry[], bySeq: Map<number, number>): void {
  let prev = 0;
  for (const e of entries) {
    expect(e.seq).toBeGreaterThan(prev);
    prev = e.seq;
    if (e.kind === 'data') expect(Buffer.from(e.payload).equals(Buffer.from(payloadFor(bySeq.get(e.seq)!)))).toBe(true);
  }
}
