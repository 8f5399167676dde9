"""Frames a broken or hostile device might send (docs/PROTOCOL.md "Frames", "Limits",
"Close codes"): each case sends one bad thing on an otherwise good session and reports
how the server ended the connection. What the document says it must be is the test's
table, not this file's: the peer only reports."""

import cbor2

from quicpeer import Peer, handshake, hello, out, welcome
from wire import BATCH, GAP, HELLO, PACKED, PING, batch_message, fields, frame, raw_frame, record, uint

T = 1460384357


def entry(seq, t=None):
    t = T + seq if t is None else t
    return [seq, t * 1000, record(seq, t)]


def one_batch(seq=1):
    return cbor2.dumps([entry(seq)])


# name -> (needs HELLO first, what to send: list of ("control" | "data" | "bidi2", bytes, fin))
CASES = {
    # a header whose length is over the type's limit: refused before the payload is read
    "oversize-batch": (True, [("data", raw_frame(BATCH, b"", length=16 << 20), False)]),
    "oversize-ping": (True, [("control", frame(PING, b"x" * 100), False)]),
    "oversize-hello": (False, [("control", raw_frame(HELLO, b"", length=1 << 20), False)]),
    # over a per-frame count or size limit
    "batch-2049-records": (True, [("data", frame(BATCH, [entry(s) for s in range(1, 2050)]), False)]),
    "record-4097-bytes": (True, [("data", frame(BATCH, [[1, (T + 1) * 1000, b"\xa0" + bytes(4096)]]), False)]),
    # not CBOR, or CBOR outside the profile
    "reserved-additional-info": (True, [("data", raw_frame(BATCH, b"\x9c\x00\x00"), False)]),
    "truncated-cbor": (True, [("data", raw_frame(BATCH, b"\x9b" + (1 << 40).to_bytes(8, "big")), False)]),
    "trailing-bytes": (True, [("data", raw_frame(BATCH, one_batch() + b"\x00"), False)]),
    "cbor-tag": (True, [("data", raw_frame(BATCH, b"\x81\x83\x01" + uint(T * 1000) + b"\xd8\x40\x41\xa0"), False)]),
    "undefined": (True, [("data", raw_frame(BATCH, b"\x81\x83\x01" + uint(T * 1000) + b"\xf7"), False)]),
    # frame types and streams
    "unknown-type": (True, [("data", raw_frame(0x7E, cbor2.dumps(0)), False)]),
    "hello-on-data-stream": (True, [("data", frame(HELLO, {"v": 1}), False)]),
    "batch-on-control-stream": (True, [("control", frame(BATCH, [entry(1)]), False)]),
    "records-before-hello": (False, [("data", frame(BATCH, [entry(1)]), False)]),
    "second-hello": (True, [("control", None, False)]),
    "second-bidi-stream": (True, [("bidi2", frame(PING, 1), False)]),
    "fin-inside-frame": (True, [("data", frame(BATCH, [entry(1)])[:20], True)]),
    # values
    "seq-above-2^53": (True, [("data", frame(BATCH, [[2**53, (T + 1) * 1000, record(1, T + 1)]]), False)]),
    "time-with-fraction": (True, [("data", frame(BATCH, [[1, (T + 1) * 1000 + 0.5, record(1, T + 1)]]), False)]),
    "seqs-not-ascending": (True, [("data", frame(BATCH, [entry(5), entry(4)]), False)]),
    "gap-without-lost": (True, [("data", frame(GAP, {"seq": 3, "from": 1, "to": 2, "fromT": T * 1000, "toT": T * 1000}), False)]),
    "packed-count-mismatch": (True, [("data", frame(PACKED, {"f": 1, "s": [[20, 22]], "b": batch_message([fields(20, T), fields(21, T + 1)])}), False)]),
    "packed-unknown-format": (True, [("data", frame(PACKED, {"f": 99, "s": [[1, 1]], "b": b"\xa0"}), False)]),
    # silence: the handshake, then no stream at all (the server's HELLO deadline is 10 s)
    "no-hello": (False, []),
}

# seconds to wait for the server to close, when not the default 5
WAIT = {"no-hello": 15}


def sc_hostile(a):
    """--case NAME: one bad frame (CASES), then waits for the server to close."""
    needs_hello, sends = CASES[a.case]
    p = Peer(a)
    if not handshake(p):
        return
    ctl = None
    if needs_hello:
        ctl = welcome(a, p, hello(a))
        if ctl is None:
            return
    data = p.conn.get_next_available_stream_id(is_unidirectional=True) if sends else None
    for where, payload, fin in sends:
        if where == "data":
            p.send(data, payload, fin)
        elif where == "bidi2":
            p.send(p.conn.get_next_available_stream_id(is_unidirectional=False), payload, fin)
        else:
            if ctl is None:
                ctl = p.conn.get_next_available_stream_id(is_unidirectional=False)
            p.send(ctl, payload if payload is not None else hello(a), fin)
    p.pump(lambda: False, WAIT.get(a.case, 5))
    out("hostile", case=a.case, terminated=p.terminated, close=p.close_frame(), acked=sorted(p.acked), undecodable=p.undecodable)


SCENARIOS = {"hostile": sc_hostile}
CASE_NAMES = sorted(CASES)
