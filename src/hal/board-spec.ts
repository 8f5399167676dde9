import type { Spec } from '../base/spec.js';

/** The UART the GNSS receiver is on. */
export const uartSpec = {
  type: 'object',
  fields: {
    path: { type: 'string', doc: 'device path, e.g. /dev/serial0; "sim" on the simulated board' },
    baud: { type: 'integer', min: 1200, max: 921600, default: 9600 },
    capture: { type: 'string', optional: true, doc: 'sim board only: a raw NMEA capture to replay (relative to the board file); default: the route generator' },
    speed: { type: 'number', min: 0.1, max: 1000, default: 1, doc: 'sim board only: replay/generation speed factor' },
    rateHz: { type: 'integer', min: 1, max: 10, default: 1, doc: 'sim board only: generator epochs per second' },
  },
} as const satisfies Spec;

const addr = (min: number, max: number, doc: string) => ({ type: 'integer', min, max, doc }) as const;
const muxRef = {
  mux: { type: 'string', optional: true, doc: 'name of the I2C switch (i2c.muxes) the chip sits behind' },
  channel: { type: 'integer', min: 0, max: 7, optional: true, doc: 'switch channel (0..7); required with mux' },
} as const;

/** How an ADC input voltage becomes a physical value (src/sensors/scaling.ts). */
const scaleSpec = {
  type: 'object',
  doc: 'divider: source volts; linear: sensor volts v0..v1 -> y0..y1 (optional divider rTop/rBottom); resistive: sender ohms r0..r1 -> y0..y1 with a pull-up; ntc-beta / ntc-steinhart: °C',
  fields: {
    type: { type: 'enum', values: ['divider', 'linear', 'resistive', 'ntc-beta', 'ntc-steinhart'] },
    rTop: { type: 'number', min: 0, optional: true },
    rBottom: { type: 'number', min: 1, optional: true },
    v0: { type: 'number', optional: true },
    v1: { type: 'number', optional: true },
    y0: { type: 'number', optional: true },
    y1: { type: 'number', optional: true },
    r0: { type: 'number', min: 0, optional: true },
    r1: { type: 'number', min: 0, optional: true },
    pullupOhms: { type: 'number', min: 1, optional: true },
    vref: { type: 'number', min: 0.1, max: 5.5, optional: true },
    r25: { type: 'number', min: 1, optional: true },
    beta: { type: 'number', min: 100, max: 10000, optional: true },
    a: { type: 'number', optional: true },
    b: { type: 'number', optional: true },
    c: { type: 'number', optional: true },
  },
} as const satisfies Spec;

const analogSpec = {
  type: 'object',
  optional: true,
  fields: {
    adc: { type: 'string', doc: 'name of the ADC in i2c.adcs' },
    input: { type: 'enum', values: ['ain0', 'ain1', 'ain2', 'ain3', 'ain0-ain1', 'ain0-ain3', 'ain1-ain3', 'ain2-ain3'] },
    fullScaleV: { type: 'number', default: 4.096, doc: 'PGA full-scale range: 6.144, 4.096, 2.048, 1.024, 0.512 or 0.256' },
    scale: scaleSpec,
  },
} as const satisfies Spec;

/** I2C bus and chips. */
export const i2cSpec = {
  type: 'object',
  optional: true,
  fields: {
    bus: { type: 'integer', min: 0, max: 31, default: 1, doc: '/dev/i2c-N' },
    timeoutMs: { type: 'integer', min: 5, max: 5000, default: 100, doc: 'per-transaction timeout' },
    muxes: {
      type: 'map',
      optional: true,
      keyPattern: /^[a-z][a-z0-9-]*$/,
      values: { type: 'object', fields: { chip: { type: 'enum', values: ['tca9548a'] }, address: addr(0x70, 0x77, 'TCA9548A: 0x70..0x77 by A2..A0') } },
    },
    adcs: {
      type: 'map',
      optional: true,
      keyPattern: /^[a-z][a-z0-9-]*$/,
      values: {
        type: 'object',
        fields: {
          chip: { type: 'enum', values: ['ads1115'] },
          address: addr(0x48, 0x4b, 'ADS1115: 0x48..0x4B by the ADDR pin'),
          dataRate: { type: 'integer', default: 128, doc: 'SPS: 8, 16, 32, 64, 128, 250, 475 or 860' },
        },
      },
    },
    analog: {
      type: 'object',
      optional: true,
      doc: 'engine inputs on ADC channels',
      fields: { battery: analogSpec, fuel: analogSpec, oil: analogSpec, coolant: analogSpec },
    },
    tyres: {
      type: 'array',
      optional: true,
      maxItems: 8,
      items: {
        type: 'object',
        fields: {
          position: { type: 'string', pattern: /^[a-z][a-z0-9-]*$/, patternHint: 'a position name like front-left' },
          chip: { type: 'enum', values: ['abp'], default: 'abp' },
          address: addr(0x08, 0x77, 'ABP I2C address (0x28 for the "2" variants)'),
          ...muxRef,
          pMinKpa: { type: 'number', default: 0 },
          pMaxKpa: { type: 'number', min: 1, doc: 'full scale of the sensor (e.g. 1034.2 for 150 psi)' },
          temperature: { type: 'boolean', default: false, doc: 'sensor has the temperature option (4-byte read)' },
        },
      },
    },
    cabin: {
      type: 'object',
      optional: true,
      fields: { chip: { type: 'enum', values: ['bme280'], default: 'bme280' }, address: addr(0x76, 0x77, 'BME280: 0x76 (SDO low) or 0x77'), ...muxRef },
    },
  },
} as const satisfies Spec;

const lineSpec = (doc: string) =>
  ({
    type: 'object',
    optional: true,
    doc,
    fields: {
      line: { type: 'integer', min: 0, max: 63, doc: 'BCM GPIO number' },
      activeLow: { type: 'boolean', default: false },
    },
  }) as const;

/** GPIO lines by BCM number. */
export const gpioSpec = {
  type: 'object',
  optional: true,
  fields: {
    chipLabel: { type: 'string', optional: true, doc: 'sysfs chip label: pinctrl-bcm2711 (Pi 4), pinctrl-rp1 (Pi 5)' },
    leds: {
      type: 'object',
      optional: true,
      fields: { gnss: lineSpec('GNSS LED'), link: lineSpec('LINK LED'), fault: lineSpec('FAULT LED') },
    },
    ignition: {
      type: 'object',
      optional: true,
      fields: {
        line: { type: 'integer', min: 0, max: 63 },
        activeLow: { type: 'boolean', default: false, doc: 'true behind an optocoupler that pulls the line low when ignition is on' },
        debounceMs: { type: 'integer', min: 0, max: 10000, default: 500 },
      },
    },
    tach: {
      type: 'object',
      optional: true,
      fields: {
        line: { type: 'integer', min: 0, max: 63 },
        activeLow: { type: 'boolean', default: false },
        pulsesPerRev: { type: 'number', min: 0.1, max: 100, doc: 'tach pulses per engine revolution (alternator W terminal: pulley ratio x pole pairs)' },
      },
    },
  },
} as const satisfies Spec;

/** The vehicle's CAN bus (J1939 on trucks, OBD-II on cars). */
export const canSpec = {
  type: 'object',
  optional: true,
  fields: {
    iface: { type: 'string', pattern: /^[A-Za-z0-9_.-]{1,15}$/, patternHint: 'a network interface name like can0', doc: 'SocketCAN interface (can0 for an MCP2515 HAT, vcan0 for tests); any name on the simulated board' },
    protocol: { type: 'enum', values: ['j1939', 'obd2'], doc: 'j1939: trucks and buses (FMS), listened to; obd2: cars and vans, polled (needs transmit)' },
    bitrate: { type: 'integer', min: 10_000, max: 1_000_000, default: 250_000, doc: 'bit/s the interface is brought up with: 250000 for J1939/FMS (500000 on some newer trucks), 500000 for OBD-II' },
    transmit: { type: 'boolean', default: false, doc: 'allow transmitting on the bus; false (default) is listen-only. OBD-II needs true (requests, flow control)' },
    staleMs: { type: 'integer', min: 100, max: 600_000, default: 5000, doc: 'a bus value older than this is left out of records' },
    controller: {
      type: 'object',
      optional: true,
      doc: 'the CAN controller on the board, for the image (dtoverlay=mcp2515-can0,oscillator=...,interrupt=...)',
      fields: {
        chip: { type: 'enum', values: ['mcp2515'] },
        oscillatorHz: { type: 'integer', min: 1_000_000, max: 40_000_000, doc: 'crystal on the HAT: 8000000, 12000000 or 16000000' },
        interruptGpio: { type: 'integer', min: 0, max: 27, doc: 'BCM GPIO of the INT line (25 on most HATs)' },
        spiBus: { type: 'integer', min: 0, max: 1, default: 0, doc: 'chip select on SPI0: 0 = CE0 (overlay mcp2515-can0), 1 = CE1 (mcp2515-can1)' },
      },
    },
  },
} as const satisfies Spec;
