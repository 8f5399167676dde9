/**
 * Command line for the VM rig: runs a shell command in the guest and exits with its status.
 *   node --import tsx test/rig/vm/run.ts [-m module,module] [--] 'command'
 * Prints the command's stdout and stderr, then one line with the boot and wall times on stderr.
 */
import { runInVm } from './vm.js';

const argv = process.argv.slice(2);
const modules: string[] = [];
while (argv[0]?.startsWith('-')) {
  const a = argv.shift()!;
  if (a === '--') break;
  if (a === '-m') modules.push(...(argv.shift() ?? '').split(',').filter(Boolean));
  else {
    console.error(`unknown option ${a}`);
    process.exit(2);
  }
}
if (argv.length === 0) {
  console.error("usage: run.ts [-m mod,mod] [--] 'shell command'");
  process.exit(2);
}
const r = await runInVm(argv.join(' '), { modules });
process.stdout.write(r.stdout);
process.stderr.write(r.stderr);
process.stderr.write(`vm: exit ${r.code}, boot ${r.bootMs} ms, wall ${r.wallMs} ms, ${r.accel} (${r.accelReason})\n`);
process.exit(r.code);
