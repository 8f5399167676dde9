import type { Command } from './command.js';
import { numberOption, parseCommandArgs } from './command.js';
import { UsageError } from '../base/errors.js';
import { queryStatus, statusSocketPath, type StatusReply } from '../status/socket.js';

function duration(s: number): string {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d ? `${d}d ${h}h ${m}m` : h ? `${h}h ${String(m).padStart(2, '0')}m` : `${m}m ${String(s % 60).padStart(2, '0')}s`;
}

export function formatStatus(r: StatusReply): string {
  const a = r.agent;
  const s = r.status;
  const faults = Object.entries(s.faults);
  const lines = [
    `geostream ${a.version}${a.vehicle ? ` on ${a.vehicle}` : ''}: pid ${a.pid}, up ${duration(a.uptimeS)} (since ${a.startedAt})`,
    `  gnss     ${s.gnss}`,
    `  link     ${s.link}`,
    `  backlog  ${s.backlog} record${s.backlog === 1 ? '' : 's'} not yet acknowledged`,
    `  faults   ${faults.length ? faults.map(([k, v]) => `${k}: ${v}`).join('\n           ') : 'none'}`,
  ];
  for (const [k, v] of Object.entries(s.details)) lines.push(`  ${k.padEnd(8)} ${JSON.stringify(v)}`);
  return lines.join('\n');
}

export const statusCommand: Command = {
  name: 'status',
  summary: "show the running agent's live state (GNSS, link, backlog, sensors, faults)",
  usage: `Usage: geostream status [--json] [--socket PATH] [--timeout S]

Asks the running agent over its local socket (default $GEOSTREAM_STATUS_SOCKET or
/var/lib/geostream/status.sock; members of group geostream or root may read it).
Exit code 1 when no agent answers.

Options:
  --json         the raw reply
  --socket PATH  another agent's socket
  --timeout S    how long to wait for the answer (default 3)`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' }, socket: { type: 'string' }, timeout: { type: 'string' } });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const timeoutS = numberOption('timeout', values.timeout, 0.1, 60) ?? 3;
    const reply = await queryStatus(values.socket ?? statusSocketPath(), timeoutS * 1000);
    io.stdout.write(values.json ? `${JSON.stringify(reply, null, 2)}\n` : `${formatStatus(reply)}\n`);
    return 0;
  },
};
