import * as nodeFs from 'node:fs';
import { promisify } from 'node:util';

/**
 * The filesystem seam: every byte the spool reads or writes goes through this interface.
 * The real implementation is node:fs; tests wrap it to inject EIO, EROFS or ENOSPC and to
 * count bytes and fsyncs.
 *
 * Error contract: every method throws (or rejects with) a Node system error carrying `code`
 * (ENOSPC, EIO, EROFS, ENOENT, ...). The spool treats any error on a write path as a storage
 * fault and retries later; it never assumes a failed fsync left data on disk (after a failed
 * fsync Linux may drop the dirty pages), so it rewrites from memory into a fresh file.
 */
export interface SpoolFs {
  mkdirSync(dir: string): void;
  readdirSync(dir: string): string[];
  readFileSync(path: string): Uint8Array;
  /** 'r' read, 'w' create or truncate for writing, 'r+' read/write existing */
  openSync(path: string, flags: 'r' | 'w' | 'r+'): number;
  closeSync(fd: number): void;
  readSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number;
  writeSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number;
  ftruncateSync(fd: number, length: number): void;
  fsyncSync(fd: number): void;
  /** fdatasync on the libuv thread pool: the event loop keeps running during the flash write. */
  fdatasync(fd: number): Promise<void>;
  fsync(fd: number): Promise<void>;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
}

const fdatasyncP = promisify(nodeFs.fdatasync);
const fsyncP = promisify(nodeFs.fsync);

export const realFs: SpoolFs = {
  mkdirSync: (dir) => void nodeFs.mkdirSync(dir, { recursive: true, mode: 0o700 }),
  readdirSync: (dir) => nodeFs.readdirSync(dir),
  readFileSync: (path) => nodeFs.readFileSync(path),
  openSync: (path, flags) => nodeFs.openSync(path, flags, 0o600),
  closeSync: (fd) => nodeFs.closeSync(fd),
  readSync: (fd, buf, offset, length, position) => nodeFs.readSync(fd, buf, offset, length, position),
  writeSync: (fd, buf, offset, length, position) => nodeFs.writeSync(fd, buf, offset, length, position),
  ftruncateSync: (fd, length) => nodeFs.ftruncateSync(fd, length),
  fsyncSync: (fd) => nodeFs.fsyncSync(fd),
  fdatasync: (fd) => fdatasyncP(fd),
  fsync: (fd) => fsyncP(fd),
  renameSync: (from, to) => nodeFs.renameSync(from, to),
  unlinkSync: (path) => nodeFs.unlinkSync(path),
};

/** Writes all of buf at position, looping over short writes. */
export function writeAll(fs: SpoolFs, fd: number, buf: Uint8Array, position: number): void {
  let done = 0;
  while (done < buf.length) {
    const n = fs.writeSync(fd, buf, done, buf.length - done, position + done);
    if (n <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
    done += n;
  }
}

/** fsync of a directory, so that created, renamed and deleted entries are durable. */
export async function fsyncDir(fs: SpoolFs, dir: string): Promise<void> {
  const fd = fs.openSync(dir, 'r');
  try {
    await fs.fsync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
