// Runs inside `unshare -m --propagation private` (root): builds a fake
// /sys/class/gpio on a tmpfs, starts the export daemon, then drives the REAL onoff
// code through LinuxGpio. Prints one JSON object with what it saw.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LinuxGpio } from '../../../src/hal/linux/gpio.js';
import { errorMessage } from '../../../src/base/errors.js';

const scenario = process.argv[2] ?? 'pi5';
const root = '/sys/class/gpio';
const journal = '/sys/class/.sensors-journal'; // on the namespace's tmpfs: gone with it

execFileSync('mount', ['-t', 'tmpfs', 'sensors-sysfs', '/sys/class']);
mkdirSync(root);
const chips: [string, number, number][] =
  scenario === 'pi4'
    ? [['pinctrl-bcm2711', 512, 58], ['raspberrypi-exp-gpio', 570, 8]]
    : [['gpio-brcmstb@107d508500', 512, 32], ['gpio-brcmstb@107d517c00', 544, 15], ['pinctrl-rp1', 571, 54]];
for (const [label, base, n] of chips) {
  const d = join(root, `gpiochip${base}`);
  mkdirSync(d);
  writeFileSync(join(d, 'label'), `${label}\n`);
  writeFileSync(join(d, 'base'), `${base}\n`);
  writeFileSync(join(d, 'ngpio'), `${n}\n`);
}
execFileSync('mkfifo', [join(root, 'export'), join(root, 'unexport')]);
writeFileSync(journal, '');
const daemon = spawn('python3', [join(import.meta.dirname, 'export-daemon.py'), root, journal], { stdio: 'inherit' });
for (const deadline = Date.now() + 10_000; !readFileSync(journal, 'utf8').includes('ready') && Date.now() < deadline; ) execFileSync('sleep', ['0.01']);

const out: Record<string, unknown> = {};
const read = (p: string) => readFileSync(join(root, p), 'utf8');
/** The daemon removes gpioN/ just after reading unexport (the kernel does it before write() returns). */
const gone = (p: string): boolean => {
  const deadline = Date.now() + 10_000;
  while (existsSync(join(root, p)) && Date.now() < deadline) execFileSync('sleep', ['0.01']);
  return !existsSync(join(root, p));
};
try {
  const gpio = new LinuxGpio(scenario === 'pi4' ? 'pinctrl-bcm2711' : 'pinctrl-rp1');
  out.chip = gpio.chipInfo();
  const led = gpio.output(17, { initial: 0 });
  const n = gpio.chipInfo().base + 17;
  out.ledNumber = n;
  out.ledDirection = read(`gpio${n}/direction`);
  led.write(1);
  out.ledValueOn = read(`gpio${n}/value`);
  led.write(0);
  out.ledValueOff = read(`gpio${n}/value`);
  const inv = gpio.output(13, { initial: 0, activeLow: true });
  const m = gpio.chipInfo().base + 13;
  out.activeLowLed = { activeLow: read(`gpio${m}/active_low`), direction: read(`gpio${m}/direction`) };
  inv.close();
  out.activeLowGone = gone(`gpio${m}`);
  const ign = gpio.input(22, { edge: 'both', activeLow: true });
  const k = gpio.chipInfo().base + 22;
  out.input = { direction: read(`gpio${k}/direction`), edge: read(`gpio${k}/edge`), activeLow: read(`gpio${k}/active_low`) };
  writeFileSync(join(root, `gpio${k}/value`), '1\n'); // the kernel reports the logical level (active_low applied)
  out.inputLogical = ign.read();
  try {
    gpio.output(60);
  } catch (err) {
    out.outOfRange = errorMessage(err);
  }
  gpio.close();
  out.afterClose = { led: !gone(`gpio${n}`), input: !gone(`gpio${k}`) };
  try {
    new LinuxGpio('pinctrl-nope').chipInfo();
  } catch (err) {
    out.noChip = errorMessage(err);
  }
} catch (err) {
  out.error = errorMessage(err);
}
out.journal = readFileSync(journal, 'utf8').trim().split('\n');
daemon.kill('SIGKILL');
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
