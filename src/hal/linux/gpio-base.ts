import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GpioError } from '../gpio.js';
import { errorCode } from '../../base/errors.js';

export interface GpioChipInfo {
  dir: string;
  label: string;
  base: number;
  ngpio: number;
}

/** The chips sysfs lists: /sys/class/gpio/gpiochip*\/{label,base,ngpio}. */
export function listGpioChips(root = '/sys/class/gpio'): GpioChipInfo[] {
  let names: string[];
  try {
    names = readdirSync(root).filter((n) => /^gpiochip\d+$/.test(n));
  } catch (err) {
    throw new GpioError(errorCode(err) ?? 'ENOENT', -1, `${root} is not readable (${errorCode(err) ?? String(err)}): this kernel has no sysfs GPIO (CONFIG_GPIO_SYSFS)`);
  }
  const chips: GpioChipInfo[] = [];
  for (const n of names) {
    try {
      const read = (f: string): string => readFileSync(join(root, n, f), 'utf8').trim();
      const base = Number(read('base'));
      const ngpio = Number(read('ngpio'));
      if (Number.isInteger(base) && Number.isInteger(ngpio)) chips.push({ dir: n, label: read('label'), base, ngpio });
    } catch {
      // a chip directory without readable attributes is not ours to use
    }
  }
  return chips.sort((a, b) => a.base - b.base);
}

/** Labels of the header GPIO controller on Raspberry Pi models, newest first. */
export const PI_HEADER_LABELS = ['pinctrl-rp1', 'pinctrl-bcm2711', 'pinctrl-bcm2835'];

/**
 * Finds the chip the board's BCM line numbers refer to: by label when the board
 * names one, else the first Raspberry Pi header controller present.
 */
export function findGpioChip(chipLabel: string | undefined, root = '/sys/class/gpio'): GpioChipInfo {
  const chips = listGpioChips(root);
  const seen = chips.map((c) => `${c.dir} "${c.label}" base ${c.base} ngpio ${c.ngpio}`).join('; ') || 'none';
  const wanted = chipLabel ? [chipLabel] : PI_HEADER_LABELS;
  for (const label of wanted) {
    const c = chips.find((x) => x.label === label);
    if (c) return c;
  }
  throw new GpioError('ENODEV', -1, `no GPIO chip labelled ${wanted.map((l) => `"${l}"`).join(' or ')} under ${root} (found: ${seen}); set gpio.chipLabel in the board file`);
}
