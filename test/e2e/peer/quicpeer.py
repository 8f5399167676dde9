"""One geostream/1.0 device connection on aioquic, driven sans-IO over a UDP socket this
program owns (so a migration is real: a new socket, optionally a new connection ID),
and the session steps of docs/PROTOCOL.md part 2: HELLO, WELCOME, BATCH, ACK."""

import json
import select
import socket
import sqlite3
import struct
import sys
import time

import cbor2
from aioquic.quic import events
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.connection import QuicConnection

from wire import ACK, ALPN, BATCH, CLOSE, HELLO, WELCOME, frame, record


def out(ev, **kw):
    """One line of the run's JSON output."""
    kw["ev"] = ev
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


class Peer:
    def __init__(self, a, alpn=ALPN, cert=None, key=None):
        """cert/key default to --cert/--key; cert="" sends no client certificate."""
        self.a = a
        self.server = (a.host, a.port)
        cfg = QuicConfiguration(is_client=True, alpn_protocols=[alpn], server_name=a.server_name, idle_timeout=180.0)
        cfg.load_verify_locations(a.ca)
        cert = a.cert if cert is None else cert
        if cert:
            cfg.load_cert_chain(cert, key or a.key)
        self.conn = QuicConnection(configuration=cfg)
        self.sock = self._socket()
        self.buffers = {}
        self.frames = []  # (stream_id, type, payload) from the server
        self.undecodable = []  # frames whose payload cbor2 could not read
        self.terminated = None
        self.handshake = False
        self.alpn = None
        self.acked = set()
        self.conn.connect(self.server, now=time.monotonic())
        self.flush()

    def _socket(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((self.a.bind, 0))
        s.setblocking(False)
        return s

    @property
    def port(self):
        return self.sock.getsockname()[1]

    def dcid(self):
        return self.conn._peer_cid.cid.hex()

    def flush(self):
        for data, addr in self.conn.datagrams_to_send(now=time.monotonic()):
            try:
                self.sock.sendto(data, addr)
            except OSError:
                pass

    def pump(self, until, timeout):
        """Runs the connection until until() is true, the connection ends, or timeout seconds pass."""
        deadline = time.monotonic() + timeout
        while True:
            self._events()
            if until():
                return True
            if self.terminated is not None:
                return False
            now = time.monotonic()
            if now >= deadline:
                return False
            timer = self.conn.get_timer()
            wait = deadline - now if timer is None else max(0.0, min(deadline, timer) - now)
            r, _, _ = select.select([self.sock], [], [], min(wait, 0.05))
            now = time.monotonic()
            if r:
                while True:
                    try:
                        data, addr = self.sock.recvfrom(65536)
                    except BlockingIOError:
                        break
                    except OSError:
                        break
                    self.conn.receive_datagram(data, addr, now=now)
            timer = self.conn.get_timer()
            if timer is not None and now >= timer:
                self.conn.handle_timer(now=now)
            self.flush()

    def _events(self):
        while True:
            e = self.conn.next_event()
            if e is None:
                return
            if isinstance(e, events.HandshakeCompleted):
                self.handshake = True
                self.alpn = e.alpn_protocol
            elif isinstance(e, events.StreamDataReceived):
                buf = self.buffers.get(e.stream_id, b"") + e.data
                while len(buf) >= 5:
                    ftype, length = struct.unpack(">BI", buf[:5])
                    if len(buf) < 5 + length:
                        break
                    body = buf[5 : 5 + length]
                    buf = buf[5 + length :]
                    try:
                        payload = cbor2.loads(body)
                    except Exception as err:  # noqa: BLE001 - reported, judged by the test
                        self.undecodable.append({"type": ftype, "error": str(err)})
                        continue
                    self.frames.append((e.stream_id, ftype, payload))
                    if ftype == ACK:
                        for lo, hi in payload:
                            self.acked.update(range(lo, hi + 1))
                self.buffers[e.stream_id] = buf
            elif isinstance(e, events.ConnectionTerminated):
                # RFC 9000 19.19: CONNECTION_CLOSE 0x1c (transport) carries a frame type, 0x1d (application) none.
                kind = "application" if e.frame_type is None else "transport"
                self.terminated = {"code": e.error_code, "kind": kind, "frameType": e.frame_type, "reason": e.reason_phrase}

    def send(self, stream_id, data, end=False):
        self.conn.send_stream_data(stream_id, data, end_stream=end)
        self.flush()

    def first(self, ftype):
        for _, t, p in self.frames:
            if t == ftype:
                return p
        return None

    def all(self, ftype):
        return [p for _, t, p in self.frames if t == ftype]

    def close_frame(self):
        """The CLOSE frame the server sent, as {code, reason}, or None."""
        c = self.first(CLOSE)
        return {"code": c.get("code"), "reason": c.get("reason")} if isinstance(c, dict) else c

    def migrate(self, change_cid):
        """A new source port (the old socket is closed, as after a NAT rebinding) and, if asked, a new connection ID."""
        old_port, old_dcid = self.port, self.dcid()
        self.sock.close()
        self.sock = self._socket()
        if change_cid:
            self.conn.change_connection_id()
        self.conn.send_ping(uid=int(time.monotonic() * 1000) & 0xFFFF)
        self.flush()
        return {"fromPort": old_port, "toPort": self.port, "fromDcid": old_dcid, "toDcid": self.dcid()}

    def close(self, code=0, reason="done"):
        self.conn.close(error_code=code, reason_phrase=reason)
        self.flush()

    def finish(self):
        """An orderly close (application code 0), given time to reach the server."""
        self.close()
        self.pump(lambda: False, 0.3)


def hello_payload(a, head=0, acked=0, device=None, v=1, schema=1):
    return {"v": v, "device": device or a.device, "fw": "geopeer 1", "schema": schema, "spool": a.spool, "head": head, "acked": acked}


def hello(a, head=0, acked=0, device=None, v=1, schema=1):
    return frame(HELLO, hello_payload(a, head, acked, device, v, schema))


def committed(a, seqs):
    """The seqs of seqs that the server's SQLite file does not hold for this device and
    spool (records or gap markers), read at this moment."""
    if not a.db:
        return None
    db = sqlite3.connect(f"file:{a.db}?mode=ro", uri=True, timeout=5)
    try:
        rows = db.execute("SELECT seq FROM records WHERE device = ? AND spool = ?", (a.device, a.spool)).fetchall()
        gaps = db.execute("SELECT seq FROM gaps WHERE device = ? AND spool = ?", (a.device, a.spool)).fetchall()
    finally:
        db.close()
    have = {r[0] for r in rows} | {g[0] for g in gaps}
    return sorted(set(seqs) - have)


def handshake(p, timeout=10):
    """Waits for the QUIC handshake; reports and returns False when it does not complete."""
    if p.pump(lambda: p.handshake, timeout):
        return True
    out("handshake-failed", terminated=p.terminated)
    return False


def welcome(a, p, hello_bytes):
    """Opens the control stream, sends hello_bytes, waits for WELCOME and reports it.
    Returns the control stream id, or None."""
    ctl = p.conn.get_next_available_stream_id(is_unidirectional=False)
    p.send(ctl, hello_bytes)
    if not p.pump(lambda: p.first(WELCOME) is not None, 10):
        out("no-welcome", terminated=p.terminated, close=p.close_frame())
        return None
    w = p.first(WELCOME)
    out("welcome", welcome={k: w[k] for k in w if k != "config"}, config=w.get("config"), timeIsInt=isinstance(w.get("time"), int) and not isinstance(w.get("time"), bool), peerNowMs=int(time.time() * 1000))
    return ctl


def session(a, p, head=0, acked=0):
    """Handshake, HELLO, WELCOME; returns (control, live) stream ids or None."""
    if not handshake(p):
        return None
    ctl = welcome(a, p, hello(a, head, acked))
    if ctl is None:
        return None
    return ctl, p.conn.get_next_available_stream_id(is_unidirectional=True)


def connect(a, head=0, acked=0):
    """A connection past WELCOME and its live stream, or (None, None)."""
    p = Peer(a)
    s = session(a, p, head, acked)
    return (p, s[1]) if s else (None, None)


def time_ms(a, t):
    """timeMs as the document's integer (cbor2 writes an 8-byte head), or as a float64 of the same value."""
    return float(t * 1000) if a.time_encoding == "float" else t * 1000


def send_batch(a, p, stream, seqs, t0):
    entries = [[s, time_ms(a, t0 + s), record(s, t0 + s)] for s in seqs]
    p.send(stream, frame(BATCH, entries))


def wait_acks(a, p, seqs, timeout=10):
    """Waits until every seq is acked; at each ACK checks the SQLite file holds what was acked."""
    want = set(seqs)
    seen = 0
    uncommitted = []

    def progress():
        nonlocal seen
        while seen < len(p.frames):
            _, t, payload = p.frames[seen]
            seen += 1
            if t == ACK:
                acked = [s for lo, hi in payload for s in range(lo, hi + 1)]
                missing = committed(a, acked)
                if missing:
                    uncommitted.extend(missing)
        return want <= p.acked

    ok = p.pump(progress, timeout)
    return ok, uncommitted
