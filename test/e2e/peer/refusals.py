"""Connections the server must refuse, and how (docs/PROTOCOL.md "Transport", "Close
codes", docs/CA.md "Verification"): TLS failures and a wrong ALPN end the QUIC
handshake with a TLS alert (transport error 0x100 + alert); a HELLO the server does not
accept closes the connection with an application code, after a CLOSE frame."""

from quicpeer import Peer, hello, out
from wire import WELCOME


def sc_handshake(a):
    """A connection with --alpn and the given client certificate (--no-cert: none),
    then a HELLO if the handshake completed: reports how far it got and how it ended."""
    p = Peer(a, alpn=a.alpn, cert="" if a.no_cert else None)
    done = p.pump(lambda: p.handshake, 10)
    got_welcome = False
    if done:
        ctl = p.conn.get_next_available_stream_id(is_unidirectional=False)
        p.send(ctl, hello(a))
        got_welcome = p.pump(lambda: p.first(WELCOME) is not None, 5)
    out("handshake", completed=p.handshake, alpn=p.alpn, welcome=got_welcome, terminated=p.terminated, close=p.close_frame())
    if p.terminated is None:
        p.finish()


def sc_hello(a):
    """A HELLO with --hello-device, --hello-v and --hello-schema: reports the WELCOME, or
    the CLOSE frame and the QUIC close that refused it."""
    p = Peer(a)
    if not p.pump(lambda: p.handshake, 10):
        out("handshake-failed", terminated=p.terminated)
        return
    ctl = p.conn.get_next_available_stream_id(is_unidirectional=False)
    p.send(ctl, hello(a, device=a.hello_device or a.device, v=a.hello_v, schema=a.hello_schema))
    p.pump(lambda: p.first(WELCOME) is not None or p.terminated is not None, 10)
    if p.terminated is None and p.first(WELCOME) is None:
        p.pump(lambda: False, 1)
    w = p.first(WELCOME)
    out("hello", welcome=w is not None and {k: w[k] for k in w if k != "config"}, terminated=p.terminated, close=p.close_frame())
    if p.terminated is None:
        p.finish()


SCENARIOS = {"handshake": sc_handshake, "hello": sc_hello}
