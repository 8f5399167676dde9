"""geostream/1.0 bytes as docs/PROTOCOL.md writes them: frames, part 1 records and
batches, and hand-made CBOR for the encodings a library does not write by itself
(long integer heads, indefinite lengths) and for the hostile cases."""

import struct

import cbor2

ALPN = "geostream/1.0"
HELLO, WELCOME, BATCH, GAP, ACK, PING, PONG, CLOSE, PACKED = 1, 2, 3, 4, 5, 6, 7, 8, 9


def frame(ftype, payload):
    """A frame: type, u32 big-endian length, one CBOR item (cbor2's encoding)."""
    return raw_frame(ftype, cbor2.dumps(payload))


def raw_frame(ftype, body, length=None):
    """A frame around body bytes; length overrides the header's length field."""
    return struct.pack(">BI", ftype, len(body) if length is None else length) + body


def fields(seq, t, extra=None):
    """A record's fields (tag -> wire value): the required ones, a position, and extra."""
    f = {1: seq, 2: t, 4: 600215338, 5: 302329375, 9: 3}
    f.update(extra or {})
    return f


def encode_record(f):
    """A single telemetry record (part 1, section 5) from its fields: integer keys in
    ascending order, integers in their shortest form (the canonical form, section 2)."""
    return cbor2.dumps(dict(sorted(f.items())))


def record(seq, t, extra=None):
    return encode_record(fields(seq, t, extra))


# ---- hand-written CBOR (RFC 8949) ----


def head(major, value, size=None):
    """A CBOR head; size (1, 2, 4, 8 bytes) forces a longer form than the shortest."""
    if size is None:
        if value < 24:
            return bytes([major << 5 | value])
        size = 1 if value < 0x100 else 2 if value < 0x10000 else 4 if value < 0x100000000 else 8
    ai = {1: 24, 2: 25, 4: 26, 8: 27}[size]
    return bytes([major << 5 | ai]) + value.to_bytes(size, "big")


def uint(value, size=None):
    return head(0, value, size)


def float64(value):
    return b"\xfb" + struct.pack(">d", value)


def indefinite_array(items):
    return b"\x9f" + b"".join(items) + b"\xff"


def chunked_bytes(data, chunk):
    """An indefinite-length byte string of definite chunks."""
    parts = [head(2, len(data[i : i + chunk])) + data[i : i + chunk] for i in range(0, len(data), chunk)]
    return b"\x5f" + b"".join(parts) + b"\xff"


def byte_string(data):
    return head(2, len(data)) + data


# ---- part 1 batches (section 6) ----


def zigzag(s):
    return 2 * s if s >= 0 else -2 * s - 1


def varints(values):
    out = bytearray()
    for u in values:
        while True:
            b = u & 0x7F
            u >>= 7
            if u:
                out.append(b | 0x80)
            else:
                out.append(b)
                break
    return bytes(out)


def delta_varint(values):
    """DELTA_VARINT, order 1, step 1, every record has the field: [3, 1, [x1], 1, varints]."""
    res = [zigzag(values[i] - values[i - 1]) for i in range(1, len(values))]
    return [3, 1, [values[0]], 1, varints(res)]


def rle(values):
    """RLE: [1, [v, run, v, run, ...]]."""
    runs = []
    for v in values:
        if runs and runs[-2] == v:
            runs[-1] += 1
        else:
            runs += [v, 1]
    return [1, runs]


def batch_message(recs, version=2):
    """A part 1 batch of recs (dicts tag -> wire value). seq, t, lat7 and lon7 as
    DELTA_VARINT (every record has them), mode as RLE, every other tag as RAW with
    None where a record lacks the field."""
    n = len(recs)
    tags = sorted({t for r in recs for t in r})
    cols = {}
    for tag in tags:
        vals = [r.get(tag) for r in recs]
        if tag in (1, 2, 4, 5) and None not in vals:
            cols[tag] = delta_varint(vals)
        elif tag == 9:
            cols[tag] = rle(vals)
        else:
            cols[tag] = [0, vals]
    return cbor2.dumps({0: 1, 1: version, 2: n, 3: cols})
