// A process and everything it started, from /proc: what chromium's browser, renderer
// and GPU processes use together (CPU time, proportional set size).
import { readdirSync, readFileSync } from 'node:fs';

function ppid(pid: number): number | null {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(f.slice(f.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null; // gone meanwhile
  }
}

/** The descendants of `root` (not `skip` nor below them) whose command name matches `name`. */
export function descendants(root: number, name: RegExp, skip: number[] = []): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    const pid = Number(d);
    if (!Number.isInteger(pid)) continue;
    const pp = ppid(pid);
    if (pp !== null) children.set(pp, [...(children.get(pp) ?? []), pid]);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      if (skip.includes(c)) continue;
      try {
        if (name.test(readFileSync(`/proc/${c}/comm`, 'utf8').trim())) out.push(c);
      } catch {
        continue; // gone meanwhile
      }
      walk(c);
    }
  };
  walk(root);
  return out;
}

/** CPU time (user + system) these processes have used, ms; those gone count 0. */
export function cpuMsOf(pids: number[]): number {
  let ms = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ms += (Number(f[11]) + Number(f[12])) * 10;
    } catch {
      continue; // gone meanwhile
    }
  }
  return ms;
}

/** Proportional set size of these processes together, MB (shared pages split among their users). */
export function pssMbOf(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      kb += Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch {
      continue; // gone meanwhile
    }
  }
  return kb / 1024;
}

/** The children of `parent` whose command line (arguments joined by spaces) matches `cmdline`. */
export function childrenMatching(parent: number, cmdline: RegExp): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    const pid = Number(d);
    if (!Number.isInteger(pid) || ppid(pid) !== parent) continue;
    try {
      if (cmdline.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim())) out.push(pid);
    } catch {
      continue; // gone meanwhile
    }
  }
  return out;
}

/** Whether `pid` is running (a zombie is not: it has exited and waits for its parent). */
export function running(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}
