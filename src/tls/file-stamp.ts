import { statSync } from 'node:fs';

/**
 * What changes when any of `paths` is rewritten (modification time, size, inode; a
 * missing file has its own mark), to tell cheaply whether files must be read again.
 */
export function fileStamp(paths: readonly string[]): string {
  return paths
    .map((p) => {
      try {
        const st = statSync(p);
        return `${st.mtimeMs}:${st.size}:${st.ino}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}
