// The FAT boot partition through mtools, addressed as IMAGE@@OFFSET (no mount).
import { run } from '../package/run.mjs';

const img = (file, part) => `${file}@@${part.start}`;

export function fatRead(file, part, path) {
  return run('mtype', ['-i', img(file, part), `::/${path}`], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
}

export function fatWrite(file, part, localFile, path) {
  run('mcopy', ['-o', '-i', img(file, part), localFile, `::/${path}`], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
}

export function fatHas(file, part, path) {
  try {
    run('mdir', ['-b', '-i', img(file, part), `::/${path}`], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
    return true;
  } catch {
    return false;
  }
}
