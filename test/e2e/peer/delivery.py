"""Delivery rules of docs/PROTOCOL.md part 2: resuming from WELCOME's `high` and
`stored`, duplicates acked and not stored twice, PACKED (format 1: one part 1 batch
message), GAP markers, every valid CBOR encoding of a value accepted (long integer
heads, floats holding integers, indefinite lengths, keys in any order), PING/PONG and
a CLOSE from the device.
Each scenario prints the rows it expects the server to hold ("expect" events)."""

import cbor2

from quicpeer import Peer, committed, connect, handshake, hello, hello_payload, out, send_batch, wait_acks, welcome
from wire import ACK, BATCH, CLOSE, GAP, HELLO, PACKED, PING, PONG, WELCOME, batch_message, byte_string, chunked_bytes, encode_record, fields, float64, frame, indefinite_array, raw_frame, record, uint


def ranges_hold(ranges, s):
    return any(lo <= s <= hi for lo, hi in ranges)


def cumulative(acked, head, stored):
    """Rule 2: the highest c such that every seq in (acked, c] is held by the server."""
    c = acked
    while c < head and ranges_hold(stored, c + 1):
        c += 1
    return c


def sc_resume(a):
    """Seqs 1-10 and 21-30 on a first connection; then HELLO head 40, acked 0: WELCOME
    must list both runs as stored; the peer sends 11-20 and 31-40 and resends 21-25
    (duplicates, acked again, not stored twice). A third HELLO (head 40, acked 10) must
    list (10, 40] as stored and `high` 40."""
    p, live = connect(a)
    if not p:
        return
    send_batch(a, p, live, range(1, 11), a.t0)
    send_batch(a, p, live, range(21, 31), a.t0)
    ok, unc = wait_acks(a, p, list(range(1, 11)) + list(range(21, 31)))
    out("first", ok=ok, uncommitted=unc, terminated=p.terminated)
    p.finish()

    p, live = connect(a, head=40, acked=0)
    if not p:
        return
    w = p.first(WELCOME)
    stored = w.get("stored") or []
    c = cumulative(0, 40, stored)
    missing = [s for s in range(1, 41) if not ranges_hold(stored, s)]
    dups = list(range(21, 26))
    send_batch(a, p, live, missing, a.t0)
    send_batch(a, p, live, dups, a.t0)
    ok, unc = wait_acks(a, p, missing + dups)
    out("resumed", ok=ok, cumulative=c, sent=missing, resent=dups, dupsAcked=set(dups) <= p.acked, uncommitted=unc, terminated=p.terminated)
    p.finish()

    p, _ = connect(a, head=40, acked=10)
    if p:
        p.finish()


def sc_packed(a):
    """PACKED format 1 (if WELCOME offers it): seqs [[1, 5], [7, 9]], b one batch
    message of 8 records (DELTA_VARINT, RLE and RAW columns, one record without speed,
    one with ms). Each must be stored as its single-record encoding, timeMs = t*1000+ms."""
    p, live = connect(a)
    if not p:
        return
    formats = (p.first(WELCOME).get("config") or {}).get("formats") or []
    out("formats", formats=formats)
    if 1 not in formats:
        p.finish()
        return
    seqs = [1, 2, 3, 4, 5, 7, 8, 9]
    recs = []
    for i, s in enumerate(seqs):
        extra = {7: 1000 + 37 * i, 8: (15000 + 700 * i) % 36000, 10: 8}
        if s == 4:
            del extra[7]
        if s == 8:
            extra[3] = 250
        recs.append(fields(s, a.t0 + s, extra))
    blob = batch_message(recs)
    p.send(live, frame(PACKED, {"f": 1, "s": [[1, 5], [7, 9]], "b": blob}))
    out("expect", rows=[{"seq": r[1], "timeMs": r[2] * 1000 + r.get(3, 0), "payload": encode_record(r).hex()} for r in recs], blobBytes=len(blob))
    ok, unc = wait_acks(a, p, seqs)
    out("packed", ok=ok, acked=sorted(p.acked), uncommitted=unc, terminated=p.terminated)
    p.finish()


def sc_gap(a):
    """Records 1-5, a GAP marker at seq 10 for records 6-9 (lost 4, why "dropped"),
    records 11-15; every one acked after its commit. Then the same GAP again: a
    duplicate, acked again."""
    p, live = connect(a)
    if not p:
        return
    t0 = a.t0
    gap = {"seq": 10, "from": 6, "to": 9, "fromT": (t0 + 6) * 1000, "toT": (t0 + 9) * 1000, "lost": 4, "why": "dropped"}
    send_batch(a, p, live, range(1, 6), t0)
    p.send(live, frame(GAP, gap))
    send_batch(a, p, live, range(11, 16), t0)
    want = list(range(1, 6)) + [10] + list(range(11, 16))
    ok, unc = wait_acks(a, p, want)
    out("gap", ok=ok, gap=gap, uncommitted=unc, terminated=p.terminated)
    p.acked.clear()
    p.send(live, frame(GAP, gap))
    ok, _ = wait_acks(a, p, [10])
    out("gap-again", ok=ok, terminated=p.terminated)
    p.finish()


def sc_encodings(a):
    """The same values in other valid CBOR encodings: a HELLO with its keys in reverse
    order and an unknown key; a BATCH as an indefinite-length array whose entries carry
    seqs in long heads, timeMs as a float64 of an integer and as an 8-byte integer,
    record bytes as a chunked byte string; a GAP whose keys are shuffled and whose
    times are floats; seqs above 2^32. Every number the server sends back must be a
    CBOR integer."""
    p = Peer(a)
    h = hello_payload(a)
    shuffled = dict(reversed(list(h.items())))
    shuffled["future"] = [1, {"x": 2}]
    if not handshake(p):
        return
    if welcome(a, p, frame(HELLO, shuffled)) is None:
        return
    live = p.conn.get_next_available_stream_id(is_unidirectional=True)
    t0 = a.t0
    r1, r2, r3 = record(1, t0 + 1), record(2, t0 + 2), record(3, t0 + 3)
    entries = [
        b"\x83" + uint(1, 8) + float64((t0 + 1) * 1000) + chunked_bytes(r1, 7),
        b"\x83" + uint(2, 4) + uint((t0 + 2) * 1000, 8) + byte_string(r2),
        b"\x9f" + uint(3, 2) + uint((t0 + 3) * 1000) + byte_string(r3) + b"\xff",
    ]
    p.send(live, raw_frame(BATCH, indefinite_array(entries)))
    gap = {"lost": 1, "toT": float((t0 + 5) * 1000), "to": 5, "seq": 6, "fromT": float((t0 + 5) * 1000), "from": 5}
    p.send(live, raw_frame(GAP, cbor2.dumps(gap)))
    big = [2**32 + 1, 2**32 + 2]
    send_batch(a, p, live, big, t0)
    want = [1, 2, 3, 6] + big
    ok, unc = wait_acks(a, p, want)
    acks = p.all(ACK)
    ints = all(isinstance(x, int) and not isinstance(x, bool) for rs in acks for pair in rs for x in pair)
    rows = [{"seq": s, "timeMs": (t0 + s) * 1000, "payload": r.hex()} for s, r in ((1, r1), (2, r2), (3, r3))]
    rows += [{"seq": s, "timeMs": (t0 + s) * 1000, "payload": record(s, t0 + s).hex()} for s in big]
    out("expect", rows=rows)
    out("encodings", ok=ok, acked=sorted(p.acked), ackIntegers=ints, uncommitted=unc, missing=committed(a, want), terminated=p.terminated)
    p.finish()


def sc_control(a):
    """PING t on the control stream: PONG echoes t. Then a CLOSE from the device: the
    server ends the connection as normal."""
    p = Peer(a)
    if not handshake(p):
        return
    ctl = welcome(a, p, hello(a))
    if ctl is None:
        return
    t = 2**40 + 7
    p.send(ctl, frame(PING, t))
    p.pump(lambda: p.first(PONG) is not None, 5)
    pong = p.first(PONG)
    out("pong", t=t, pong=pong, isInt=isinstance(pong, int) and not isinstance(pong, bool))
    p.send(ctl, frame(CLOSE, {"code": 0, "reason": "ignition off"}))
    p.pump(lambda: False, 5)
    out("closed", terminated=p.terminated, close=p.close_frame())


SCENARIOS = {"resume": sc_resume, "packed": sc_packed, "gap": sc_gap, "encodings": sc_encodings, "control": sc_control}
