import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { realFs, type SpoolFs } from '../../src/spool/fs.js';

/**
 * A power-cut model over the real filesystem (in the spirit of LazyFS): it remembers what
 * each file held at its last fsync and which directory entries existed at the last fsync of
 * the directory. cut() then rebuilds the directory as a crash could leave it: durable content
 * plus a random fate for every write since the last fsync (applied, lost, torn at a random
 * byte, or turned into zeros as ext4 delayed allocation can), and unsynced creations,
 * renames and deletions randomly kept or undone. After cut() every call fails with EIO.
 */
type Op = { kind: 'write'; pos: number; data: Buffer } | { kind: 'truncate'; len: number };
interface Inode {
  durable: Buffer;
  pending: Op[];
}

export class PowerCutFs implements SpoolFs {
  private dir = new Map<string, Inode>(); // volatile: name -> inode
  private durableDir = new Map<string, Inode>();
  private fds = new Map<number, { path: string; inode: Inode | null }>();
  private dead = false;

  constructor(
    private readonly root: string,
    private readonly rand: (n: number) => number,
  ) {
    // whatever is there already survived an earlier (modelled) power cut: it is durable
    let names: string[] = [];
    try {
      names = readdirSync(root);
    } catch {
      /* not created yet */
    }
    for (const n of names) {
      const inode = { durable: Buffer.from(realFs.readFileSync(join(root, n))), pending: [] };
      this.dir.set(n, inode);
      this.durableDir.set(n, inode);
    }
  }

  private alive(): void {
    if (this.dead) throw Object.assign(new Error('EIO: power is off'), { code: 'EIO', syscall: 'write' });
  }
  private name(path: string): string | null {
    return path.startsWith(this.root + '/') ? basename(path) : null;
  }

  mkdirSync(d: string) {
    this.alive();
    realFs.mkdirSync(d);
  }
  readdirSync(d: string) {
    this.alive();
    return realFs.readdirSync(d);
  }
  readFileSync(p: string) {
    this.alive();
    return realFs.readFileSync(p);
  }
  openSync(path: string, flags: 'r' | 'w' | 'r+') {
    this.alive();
    const fd = realFs.openSync(path, flags);
    const n = this.name(path);
    let inode: Inode | null = null;
    if (n !== null) {
      inode = this.dir.get(n) ?? null;
      if (!inode && flags !== 'r') {
        inode = { durable: Buffer.alloc(0), pending: [] };
        this.dir.set(n, inode);
      }
      if (inode && flags === 'w') inode.pending.push({ kind: 'truncate', len: 0 });
    }
    this.fds.set(fd, { path, inode });
    return fd;
  }
  closeSync(fd: number) {
    this.fds.delete(fd);
    realFs.closeSync(fd);
  }
  readSync(fd: number, b: Uint8Array, o: number, l: number, p: number) {
    this.alive();
    return realFs.readSync(fd, b, o, l, p);
  }
  writeSync(fd: number, b: Uint8Array, o: number, l: number, p: number) {
    this.alive();
    const n = realFs.writeSync(fd, b, o, l, p);
    this.fds.get(fd)?.inode?.pending.push({ kind: 'write', pos: p, data: Buffer.from(b.subarray(o, o + n)) });
    return n;
  }
  ftruncateSync(fd: number, len: number) {
    this.alive();
    realFs.ftruncateSync(fd, len);
    this.fds.get(fd)?.inode?.pending.push({ kind: 'truncate', len });
  }
  private synced(fd: number): void {
    const f = this.fds.get(fd);
    if (!f) return;
    if (f.path === this.root) {
      this.durableDir = new Map(this.dir);
      return;
    }
    if (f.inode) {
      f.inode.durable = Buffer.from(realFs.readFileSync(f.path));
      f.inode.pending = [];
    }
  }
  fsyncSync(fd: number) {
    this.alive();
    realFs.fsyncSync(fd);
    this.synced(fd);
  }
  async fdatasync(fd: number) {
    this.alive();
    await realFs.fdatasync(fd);
    this.alive(); // power went off while the flash was busy: not durable, not reported durable
    this.synced(fd);
  }
  async fsync(fd: number) {
    this.alive();
    await realFs.fsync(fd);
    this.alive();
    this.synced(fd);
  }
  renameSync(from: string, to: string) {
    this.alive();
    realFs.renameSync(from, to);
    const a = this.name(from);
    const b = this.name(to);
    if (a !== null && b !== null) {
      const inode = this.dir.get(a);
      this.dir.delete(a);
      if (inode) this.dir.set(b, inode);
    }
  }
  unlinkSync(path: string) {
    this.alive();
    realFs.unlinkSync(path);
    const n = this.name(path);
    if (n !== null) this.dir.delete(n);
  }

  /** Cuts the power: rewrites root as the crash left it. */
  cut(): { files: number; tornWrites: number } {
    this.dead = true;
    let torn = 0;
    const out = new Map<string, Buffer>();
    const names = new Set([...this.dir.keys(), ...this.durableDir.keys()]);
    for (const n of names) {
      const vol = this.dir.get(n);
      const dur = this.durableDir.get(n);
      // an entry not made durable by a directory fsync may or may not have reached the disk
      const inode = vol === dur ? vol : this.rand(2) === 0 ? vol : dur;
      if (!inode) continue;
      let data = Buffer.from(inode.durable);
      for (const op of inode.pending) {
        const fate = this.rand(20);
        if (op.kind === 'truncate') {
          if (fate < 10) data = op.len <= data.length ? data.subarray(0, op.len) : Buffer.concat([data, Buffer.alloc(op.len - data.length)]);
          continue;
        }
        let bytes: Buffer;
        if (fate < 8) bytes = op.data; // reached the flash
        else if (fate < 13) continue; // lost
        else if (fate < 17) {
          bytes = op.data.subarray(0, this.rand(op.data.length + 1)); // torn
          torn++;
        } else bytes = Buffer.alloc(op.data.length); // size updated, data blocks never written
        const end = op.pos + bytes.length;
        if (end > data.length) data = Buffer.concat([data, Buffer.alloc(end - data.length)]);
        bytes.copy(data, op.pos);
      }
      out.set(n, data);
    }
    for (const f of readdirSync(this.root)) rmSync(join(this.root, f), { force: true });
    mkdirSync(this.root, { recursive: true });
    for (const [n, data] of out) writeFileSync(join(this.root, n), data);
    return { files: out.size, tornWrites: torn };
  }
}
