// What the map colours a vehicle by, from its latest record and whether it has a session.

export type VehicleState = 'moving' | 'parked' | 'off' | 'offline';

/** 1 knot, the trip detector's threshold: below it GNSS drift reads as speed. */
export const MOVING_MPS = 0.5144;

export const STATE_LABEL: Record<VehicleState, string> = { moving: 'moving', parked: 'parked', off: 'ignition off', offline: 'offline' };

export function vehicleState(online: boolean, r: { speedMps: number | null; ignition: boolean | null } | null): VehicleState {
  if (!online) return 'offline';
  if (r?.ignition === false) return 'off';
  if (r && r.speedMps !== null && r.speedMps >= MOVING_MPS) return 'moving';
  return 'parked';
}

export const kmh = (mps: number | null): string => (mps === null ? '' : (mps * 3.6).toFixed(0));

/** "12:03:04" today, "2026-05-01 12:03" otherwise (local time). */
export function shortTime(iso: string | null, now = Date.now()): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  const hms = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (Math.abs(now - d.getTime()) < 86_400_000 && new Date(now).getDate() === d.getDate()) return hms;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hms}`;
}

export function duration(s: number): string {
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
