/**
 * How to run this same program again as a child process: the single executable by
 * itself, or this Node binary with its flags (a loader such as tsx) and this script.
 */
export function selfCommand(): { cmd: string; args: string[] } {
  if ((process as { pkg?: unknown }).pkg) return { cmd: process.execPath, args: [] };
  return { cmd: process.execPath, args: [...process.execArgv, process.argv[1]!] };
}
