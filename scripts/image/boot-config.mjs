// Edits of the Pi's boot files: config.txt gets the header UART (PL011 on /dev/serial0,
// Bluetooth moved off it), I2C and, for a board with a CAN HAT, SPI and its overlay;
// cmdline.txt loses the serial console.

const MARK = '# geostream: GNSS on the header UART (/dev/serial0 = PL011), sensors on I2C-1';
const WANTED = ['enable_uart=1', 'dtparam=i2c_arm=on', 'dtoverlay=disable-bt'];
/** Active lines that set what we manage (replaced, so a re-run leaves one block); `extra` lines too. */
const MANAGED = /^\s*(enable_uart\s*=|dtparam\s*=\s*i2c_arm\s*=|dtparam\s*=\s*i2c\s*=|dtoverlay\s*=\s*(disable-bt|miniuart-bt|pi3-disable-bt|pi3-miniuart-bt|mcp2515(-can\d)?)\b)/;

/** `extra`: further lines of the block (the CAN controller's, from can-setup.mjs). */
export function editConfigTxt(text, extra = []) {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const kept = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (MANAGED.test(l) || extra.includes(l.trim())) continue;
    if (l === MARK) {
      // Our previous block: drop the mark and the [all] line we put before it.
      if (kept.at(-1) === '[all]') kept.pop();
      continue;
    }
    kept.push(l);
  }
  while (kept.length && kept.at(-1).trim() === '') kept.pop();
  // Under [all] so no [cm4]/[pi5] filter section above swallows it.
  return `${kept.join('\n')}\n\n[all]\n${MARK}\n${[...WANTED, ...extra].join('\n')}\n`;
}

/** Removes the serial console (console=serial0, ttyAMA0, ttyS0: the GNSS receiver owns the UART); keeps tty1. */
export function editCmdline(text) {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) throw new Error('cmdline.txt is empty');
  return `${words.filter((w) => !/^console=(serial\d|ttyAMA\d+|ttyS\d+)(,|$)/.test(w)).join(' ')}\n`;
}
