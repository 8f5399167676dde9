/** geostream/1.0's QUIC settings (docs/PROTOCOL.md); both ends use them unless told otherwise. */

/** QUIC max_idle_timeout: a session survives this long without a packet (tunnels, dead zones). */
export const IDLE_TIMEOUT_MS = 180_000;

/** A PING goes out when nothing was sent for this long, so NATs keep the mapping. */
export const KEEP_ALIVE_MS = 20_000;
