/**
 * GPIO lines by BCM number (the board file's numbering), as inputs with edge
 * events or as outputs.
 *
 * Contract:
 * - `input`/`output` claim a line synchronously or throw a `GpioError` that says
 *   what to do about it (EINVAL: wrong number for this kernel; EBUSY: another driver
 *   or process holds the line; EACCES: permissions; ENOENT: no sysfs GPIO).
 * - `watch` callbacks run on the event loop, one per edge the kernel reported;
 *   with sysfs, edges closer together than the loop can service may merge, so
 *   consumers that count edges must treat counts as a lower bound.
 * - `read`/`write` on a closed line throw a `GpioError` with code ECLOSED.
 * - `close()` on the controller releases every line it claimed; it never throws.
 */
export type Level = 0 | 1;
export type Edge = 'none' | 'rising' | 'falling' | 'both';

export interface GpioInput {
  readonly line: number;
  /** Logical level (after active-low inversion). */
  read(): Level;
  /** Calls back on each edge (per the `edge` it was opened with) with the new level. */
  watch(cb: (value: Level) => void): void;
  close(): void;
}

export interface GpioOutput {
  readonly line: number;
  write(value: Level): void;
  read(): Level;
  close(): void;
}

export interface Gpio {
  readonly name: string;
  input(line: number, opts?: { edge?: Edge; activeLow?: boolean }): GpioInput;
  output(line: number, opts?: { initial?: Level; activeLow?: boolean }): GpioOutput;
  close(): void;
}

export class GpioError extends Error {
  override name = 'GpioError';
  constructor(
    readonly code: string,
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Turns an errno from exporting a sysfs number into advice. `sysfs` is the number
 * written to /sys/class/gpio/export, `line` the BCM line, `base` the chip's base.
 */
export function explainExportError(code: string | undefined, line: number, sysfs: number, base: number, chip: string): string {
  const what = `GPIO ${line} (sysfs ${sysfs} = base ${base} + ${line} on ${chip})`;
  switch (code) {
    case 'EINVAL':
      return `${what}: export refused with EINVAL: the kernel does not know this number. Since kernel 6.6 sysfs numbers are base + line (base 512 on a Pi 4, 571 on a Pi 5); check the board's gpio.chipLabel and that the line exists`;
    case 'EBUSY':
      return `${what}: export refused with EBUSY: the line is already in use by a kernel driver (a dtoverlay such as gpio-shutdown, w1-gpio or gpio-led) or another process (libgpiod, pigpio); free it or pick another line`;
    case 'EACCES':
    case 'EPERM':
      return `${what}: permission denied: run as root or add the service user to the "gpio" group`;
    case 'ENOENT':
      return `${what}: /sys/class/gpio is missing: the kernel has no sysfs GPIO (CONFIG_GPIO_SYSFS)`;
    default:
      return `${what}: export failed (${code ?? 'unknown error'})`;
  }
}
