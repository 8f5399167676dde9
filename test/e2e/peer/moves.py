"""Streaming and connection migration: records in BATCHes, each acked after its commit,
across path changes (new source port, new connection ID, both, overlapping moves)."""

import os
import random
import time

from quicpeer import connect, out, send_batch, wait_acks


def sc_stream(a):
    """HELLO/WELCOME, records in BATCHes on the live stream, every one acked after its commit."""
    p, live = connect(a)
    if not p:
        return
    seqs = list(range(1, a.records + 1))
    for i in range(0, len(seqs), a.batch):
        send_batch(a, p, live, seqs[i : i + a.batch], a.t0)
    ok, unc = wait_acks(a, p, seqs)
    out("acked", ok=ok, records=len(seqs), uncommitted=unc, terminated=p.terminated)
    p.finish()


def sc_migrate(a):
    """Records across a.migrations path changes (new source port each time, a new connection ID if --cid)."""
    p, live = connect(a)
    if not p:
        return
    seq = 1
    send_batch(a, p, live, range(seq, seq + a.batch), a.t0)
    ok, unc = wait_acks(a, p, range(seq, seq + a.batch))
    out("acked", ok=ok, migration=0, uncommitted=unc, terminated=p.terminated)
    seq += a.batch
    for m in range(1, a.migrations + 1):
        mv = p.migrate(a.cid)
        seqs = range(seq, seq + a.batch)
        send_batch(a, p, live, seqs, a.t0)
        ok, unc = wait_acks(a, p, seqs)
        out("migrated", n=m, ok=ok, uncommitted=unc, terminated=p.terminated, **mv)
        seq += a.batch
        if not ok:
            return
    out("acked", ok=True, records=seq - 1)
    p.finish()


def sc_moves(a):
    """a.migrations random moves (seeded): a new source port, a new connection ID, both, or
    neither, each followed by a batch and 0-100 ms of traffic, so moves overlap the server's
    validation of the previous path. Then every record must be acked."""
    rnd = random.Random(a.seed)
    p, live = connect(a)
    if not p:
        return
    seq = 1
    kinds = {}
    for m in range(1, a.migrations + 1):
        kind = rnd.choice(["port", "cid", "both", "both", "none"])
        kinds[kind] = kinds.get(kind, 0) + 1
        if kind in ("port", "both"):
            p.sock.close()
            p.sock = p._socket()
        if kind in ("cid", "both"):
            p.conn.change_connection_id()
        p.conn.send_ping(uid=m)
        send_batch(a, p, live, range(seq, seq + a.batch), a.t0)
        seq += a.batch
        p.pump(lambda: False, rnd.choice([0, 0, 0.001, 0.005, 0.02, 0.1]))
        if p.terminated:
            out("moved", ok=False, n=m, kind=kind, terminated=p.terminated, kinds=kinds)
            return
    ok, unc = wait_acks(a, p, range(1, seq), 15)
    out("moved", ok=ok, n=a.migrations, records=seq - 1, acked=len(p.acked), uncommitted=unc, terminated=p.terminated, kinds=kinds)
    p.finish()


def sc_trickle(a):
    """One record every --interval seconds for --duration seconds (or until the file
    --until exists), each acked after its commit before the next is sent: a vehicle that
    must keep streaming while others misbehave. Reports the slowest ack."""
    p, live = connect(a)
    if not p:
        return
    end = time.monotonic() + a.duration
    seq, slowest, failed = 0, 0.0, None
    while time.monotonic() < end and not (a.until and os.path.exists(a.until)):
        seq += 1
        sent = time.monotonic()
        send_batch(a, p, live, [seq], a.t0)
        ok, unc = wait_acks(a, p, [seq])
        slowest = max(slowest, time.monotonic() - sent)
        if not ok or unc:
            failed = {"seq": seq, "uncommitted": unc}
            break
        p.pump(lambda: False, a.interval)
    out("trickle", ok=failed is None, records=seq, slowestAckMs=round(slowest * 1000), failed=failed, terminated=p.terminated)
    p.finish()


SCENARIOS = {"stream": sc_stream, "migrate": sc_migrate, "moves": sc_moves, "trickle": sc_trickle}
