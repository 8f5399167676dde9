import { errorMessage } from '../../base/errors.js';
import { fail, noProbe, pass, warn, type Check, type CheckResult } from '../check.js';
import type { CanSample } from '../probe-types.js';

/** How long the bus is listened to: J1939's slowest common groups (ET1, LFC, VD, HOURS) repeat each 1 s or less. */
export const CAN_SAMPLE_MS = 3000;

const kbit = (b: number): string => `${b / 1000} kbit/s`;

/** `ip link` command that brings the board's interface up as docs/CAN.md says. */
const ipUp = (s: CanSample): string =>
  `sudo ip link set ${s.iface} down; sudo ip link set ${s.iface} up type can bitrate ${s.bitrate} restart-ms 100${s.protocol === 'j1939' ? ' listen-only on' : ''}`;

/** The answering groups, most frequent first: "EEC1 x60, CCVS x30, ...". */
function answering(s: CanSample): string {
  const e = Object.entries(s.answered).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shown = e.slice(0, 12).map(([k, n]) => `${k} x${n}`);
  return `${shown.join(', ')}${e.length > shown.length ? `, ${e.length - shown.length} more` : ''}`;
}

/** What the interface looks like to the kernel, then what the bus said in the sample time. */
export function judgeCan(s: CanSample): CheckResult {
  const fixUnit = `sudo systemctl restart geostream-can (it runs: ${ipUp(s)})`;
  const l = s.link;
  if (l && !l.exists) {
    return fail(`no interface ${s.iface}`, 'the kernel has no such network interface: the CAN controller\'s overlay is not loaded or the HAT is not detected',
      'check dtoverlay=mcp2515-can0,... in /boot/firmware/config.txt (make image writes it from the board file) and the HAT\'s SPI wiring; dmesg | grep -i mcp251 shows the driver');
  }
  if (l && l.kind !== null && l.kind !== 'can' && l.kind !== 'vcan') return fail(`${s.iface} is a ${l.kind} interface, not CAN`, 'can.iface in the board file names another kind of interface', 'set can.iface to the CAN interface (ip -details link lists each one\'s kind)');
  if (l && !l.up) return fail(`${s.iface} is down`, 'the interface is not brought up, so nothing is received', fixUnit);
  if (l && l.bitrate !== null && l.bitrate !== s.bitrate) {
    return fail(`${s.iface} runs at ${kbit(l.bitrate)}, the board file says ${kbit(s.bitrate)}`, 'at the wrong bit rate the controller sees only errors (and a transmitting node could disturb the bus)', fixUnit);
  }
  if (s.portError && s.frames === 0) return fail(`cannot use ${s.iface}`, s.portError, 'check the interface exists and is up (ip -details link show) and that the service user may open raw CAN sockets');
  if (s.busOff > 0 || l?.state === 'BUS-OFF') {
    return fail(`${s.iface} went bus-off`, 'the controller counted too many errors: wrong bit rate, CAN-H/CAN-L swapped, missing termination, or a transmitting node on a bus it should only listen to',
      `check the wiring to the FMS/OBD connector and the bit rate (${kbit(s.bitrate)} in the board file)`);
  }
  const where = `${s.iface}${s.simulated ? ' (simulated)' : ''}`;
  const secs = `${Math.round(s.durationMs / 100) / 10} s`;
  if (s.frames === 0) {
    return warn(`${where}: no frames in ${secs}`, s.protocol === 'obd2' ? 'no ECU answered the OBD-II requests: ignition off, or not connected to the OBD port' : 'nothing on the bus: ignition off, or not connected to the FMS/J1939 connector',
      'turn the ignition on (engine running for J1939) and run the self-test again; check the cable to the vehicle connector');
  }
  if (s.readings === 0) {
    return warn(`${where}: ${s.frames} frames in ${secs}, none decoded`, `frames arrive but none is a ${s.protocol === 'j1939' ? 'J1939 group' : 'OBD-II answer'} this agent reads`,
      `check can.protocol (${s.protocol}) in the board file against the vehicle (trucks and buses: j1939; cars and vans: obd2)`);
  }
  const mode = l ? `, ${l.bitrate !== null ? kbit(l.bitrate) : 'bit rate not reported'}${l.ctrlmode.includes('LISTEN-ONLY') ? ', listen-only' : ''}` : '';
  return pass(`${where} up${mode}: ${s.frames} frames in ${secs}; answering: ${answering(s)}`);
}

/** The CAN interface is up at the board's bit rate and the vehicle's ECUs are heard. */
export const canCheck: Check = {
  id: 'can',
  title: 'CAN bus',
  timeoutMs: CAN_SAMPLE_MS + 4000,
  async run(ctx) {
    if (!ctx.probes.can) return noProbe(ctx, 'CAN bus');
    try {
      return judgeCan(await ctx.probes.can.sample(CAN_SAMPLE_MS, ctx.signal));
    } catch (err) {
      return fail('cannot use the CAN bus', errorMessage(err), 'check the board file\'s can section and the interface (ip -details link show)');
    }
  },
};
