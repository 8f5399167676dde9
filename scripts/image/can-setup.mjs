// What the image needs for a board with a CAN bus: the controller's overlay in config.txt
// (an MCP2515 on SPI0, chip select CE0 or CE1) and the settings geostream-can@IFACE.service
// brings the interface up with (bit rate, automatic restart after bus-off, listen-only
// unless the board may transmit). The defaults are those of the board schema
// (src/hal/board-spec.ts canSpec).

/** Automatic controller restart after bus-off, ms. */
export const CAN_RESTART_MS = 100;

/** Null for a board without a CAN bus (or a simulated one). */
export function canSetup(board) {
  const can = board.can;
  if (!can || board.simulated) return null;
  const bitrate = can.bitrate ?? 250000;
  const transmit = can.transmit ?? false;
  const c = can.controller;
  const bootLines = c ? ['dtparam=spi=on', `dtoverlay=mcp2515-can${c.spiBus ?? 0},oscillator=${c.oscillatorHz},interrupt=${c.interruptGpio}`] : [];
  const env = `BITRATE=${bitrate}\nRESTART_MS=${CAN_RESTART_MS}\nCAN_OPTIONS="${transmit ? '' : 'listen-only on'}"\n`;
  return { iface: can.iface, bootLines, env, unit: `geostream-can@${can.iface}.service` };
}
