#!/usr/bin/env python3
"""A geostream/1.0 device written from docs/PROTOCOL.md and docs/CA.md on aioquic and cbor2.

It shares no code with geostream: QUIC and TLS are aioquic's, CBOR is cbor2's (and
wire.py's hand-made items), and the frames, records and session rules are written from
the documents. One scenario per run (--scenario); it prints one JSON object per line on
stdout (what happened, with the numbers the test checks) and exits 0 when the scenario
ran to its end, whatever the server answered (the test judges the answers), 2 on a
usage error.

  wire.py       frames, part 1 records and batches, hand-written CBOR
  quicpeer.py   the connection on aioquic (sans-IO over its own UDP socket) and session steps
  moves.py      streaming and connection migration
  refusals.py   TLS, ALPN and HELLO refusals
  delivery.py   resume from WELCOME, duplicates, PACKED, GAP, CBOR encodings
  hostile.py    bad frames, one per --case
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import delivery  # noqa: E402
import hostile  # noqa: E402
import moves  # noqa: E402
import refusals  # noqa: E402
from quicpeer import out  # noqa: E402
from wire import ALPN  # noqa: E402

SCENARIOS = {**moves.SCENARIOS, **refusals.SCENARIOS, **delivery.SCENARIOS, **hostile.SCENARIOS}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--server-name", default="localhost")
    ap.add_argument("--ca", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--no-cert", action="store_true", help="send no client certificate")
    ap.add_argument("--alpn", default=ALPN)
    ap.add_argument("--device", default="")
    ap.add_argument("--spool", default=os.urandom(8).hex())
    ap.add_argument("--db", help="the server's SQLite file, read (read-only) at each ACK")
    ap.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    ap.add_argument("--case", choices=hostile.CASE_NAMES, help="hostile: which bad frame")
    ap.add_argument("--hello-device", help="hello: the vehicle id HELLO names (default --device)")
    ap.add_argument("--hello-v", type=int, default=1)
    ap.add_argument("--hello-schema", type=int, default=1)
    ap.add_argument("--records", type=int, default=50)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--migrations", type=int, default=10)
    ap.add_argument("--cid", action="store_true", help="change the connection ID on each migration")
    ap.add_argument("--duration", type=float, default=10.0, help="trickle: seconds")
    ap.add_argument("--until", help="trickle: stop when this file exists")
    ap.add_argument("--interval", type=float, default=0.1, help="trickle: seconds between records")
    ap.add_argument("--t0", type=int, default=1460384357)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-encoding", choices=["int", "float"], default="int")
    a = ap.parse_args()
    if a.scenario == "hostile" and not a.case:
        ap.error("--scenario hostile needs --case")
    out("start", scenario=a.scenario, spool=a.spool)
    SCENARIOS[a.scenario](a)
    out("end")


if __name__ == "__main__":
    main()
