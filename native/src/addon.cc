// Node-API glue: exposes gq::Conn as `Connection` plus `decodeCid` and `statelessReset`. Every
// function validates its arguments and throws a TypeError naming what was wrong.
#include <node_api.h>
#include <ngtcp2/ngtcp2.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "conn.h"

extern "C" void gq_stderr_init(void);

using gq::Addr;
using gq::Conn;

namespace {

struct Err : std::runtime_error {
  using std::runtime_error::runtime_error;
};

#define NAPI(call)                                        \
  do {                                                    \
    if ((call) != napi_ok) throw Err("N-API call failed: " #call); \
  } while (0)

napi_value get(napi_env env, napi_value obj, const char *key) {
  napi_value v;
  NAPI(napi_get_named_property(env, obj, key, &v));
  return v;
}

bool is_type(napi_env env, napi_value v, napi_valuetype t) {
  napi_valuetype vt;
  NAPI(napi_typeof(env, v, &vt));
  return vt == t;
}

std::string str(napi_env env, napi_value v, const char *what) {
  if (!is_type(env, v, napi_string)) throw Err(std::string(what) + " must be a string");
  size_t len;
  NAPI(napi_get_value_string_utf8(env, v, nullptr, 0, &len));
  std::string s(len, '\0');
  NAPI(napi_get_value_string_utf8(env, v, &s[0], len + 1, &len));
  return s;
}

std::string opt_str(napi_env env, napi_value obj, const char *key) {
  napi_value v = get(env, obj, key);
  if (is_type(env, v, napi_undefined) || is_type(env, v, napi_null)) return "";
  return str(env, v, key);
}

double num(napi_env env, napi_value v, const char *what) {
  if (!is_type(env, v, napi_number)) throw Err(std::string(what) + " must be a number");
  double d;
  NAPI(napi_get_value_double(env, v, &d));
  return d;
}

double opt_num(napi_env env, napi_value obj, const char *key, double dflt) {
  napi_value v = get(env, obj, key);
  if (is_type(env, v, napi_undefined)) return dflt;
  return num(env, v, key);
}

bool opt_bool(napi_env env, napi_value obj, const char *key, bool dflt) {
  napi_value v = get(env, obj, key);
  if (is_type(env, v, napi_undefined)) return dflt;
  bool b;
  if (napi_get_value_bool(env, v, &b) != napi_ok) throw Err(std::string(key) + " must be a boolean");
  return b;
}

void bytes(napi_env env, napi_value v, const uint8_t **data, size_t *len, const char *what) {
  bool is;
  NAPI(napi_is_typedarray(env, v, &is));
  if (!is) throw Err(std::string(what) + " must be a Uint8Array");
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  void *p;
  NAPI(napi_get_typedarray_info(env, v, &t, len, &p, &ab, &off));
  if (t != napi_uint8_array) throw Err(std::string(what) + " must be a Uint8Array");
  *data = static_cast<const uint8_t *>(p);
}

napi_value mk_num(napi_env env, double d) {
  napi_value v;
  NAPI(napi_create_double(env, d, &v));
  return v;
}
napi_value mk_str(napi_env env, const std::string &s) {
  napi_value v;
  NAPI(napi_create_string_utf8(env, s.data(), s.size(), &v));
  return v;
}
napi_value mk_bool(napi_env env, bool b) {
  napi_value v;
  NAPI(napi_get_boolean(env, b, &v));
  return v;
}
// An optional secret of 16 to 64 bytes (a Uint8Array), empty when absent.
std::vector<uint8_t> opt_key(napi_env env, napi_value obj, const char *key) {
  napi_value v = get(env, obj, key);
  if (is_type(env, v, napi_undefined) || is_type(env, v, napi_null)) return {};
  const uint8_t *p;
  size_t n;
  bytes(env, v, &p, &n, key);
  if (n < 16 || n > 64) throw Err(std::string(key) + " must be 16 to 64 bytes");
  return std::vector<uint8_t>(p, p + n);
}

napi_value mk_buf(napi_env env, const uint8_t *p, size_t n) {
  napi_value v;
  void *out;
  NAPI(napi_create_buffer_copy(env, n, p, &out, &v));
  return v;
}
void set(napi_env env, napi_value obj, const char *k, napi_value v) { NAPI(napi_set_named_property(env, obj, k, v)); }
napi_value mk_obj(napi_env env) {
  napi_value o;
  NAPI(napi_create_object(env, &o));
  return o;
}
napi_value mk_arr(napi_env env, size_t n) {
  napi_value a;
  NAPI(napi_create_array_with_length(env, n, &a));
  return a;
}
napi_value undef(napi_env env) {
  napi_value u;
  NAPI(napi_get_undefined(env, &u));
  return u;
}

struct Args {
  napi_value self;
  napi_value argv[8];
  size_t argc = 8;
};

Args args(napi_env env, napi_callback_info info) {
  Args a;
  NAPI(napi_get_cb_info(env, info, &a.argc, a.argv, &a.self, nullptr));
  return a;
}

struct Holder {
  Conn *conn = nullptr;
};

Conn *unwrap(napi_env env, const Args &a) {
  void *p;
  NAPI(napi_unwrap(env, a.self, &p));
  auto *h = static_cast<Holder *>(p);
  if (!h->conn) throw Err("connection already destroyed");
  return h->conn;
}

Addr addr_arg(napi_env env, const Args &a, size_t i, const char *what) {
  if (a.argc < i + 2) throw Err(std::string(what) + ": host and port required");
  Addr r;
  r.host = str(env, a.argv[i], what);
  r.port = (uint16_t)num(env, a.argv[i + 1], what);
  return r;
}

napi_value datagram_obj(napi_env env, const gq::Datagram &d) {
  napi_value o = mk_obj(env);
  set(env, o, "data", mk_buf(env, d.data.data(), d.data.size()));
  set(env, o, "localHost", mk_str(env, d.local.host));
  set(env, o, "localPort", mk_num(env, d.local.port));
  set(env, o, "remoteHost", mk_str(env, d.remote.host));
  set(env, o, "remotePort", mk_num(env, d.remote.port));
  return o;
}

template <typename F>
napi_value guard(napi_env env, F f) {
  try {
    return f();
  } catch (const std::exception &e) {
    napi_throw_error(env, "ERR_GEOSTREAM_QUIC", e.what());
    return nullptr;
  }
}

void finalize(napi_env, void *data, void *) {
  auto *h = static_cast<Holder *>(data);
  delete h->conn;
  delete h;
}

// new Connection(opts, initialPacket | null, nowMs)
napi_value Ctor(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    if (a.argc < 3 || !is_type(env, a.argv[0], napi_object)) throw Err("Connection(opts, packet, nowMs)");
    napi_value o = a.argv[0];
    gq::ConnConfig cfg;
    cfg.server = opt_bool(env, o, "server", false);
    cfg.tls.cert = str(env, get(env, o, "cert"), "cert");
    cfg.tls.key = str(env, get(env, o, "key"), "key");
    cfg.tls.ca = str(env, get(env, o, "ca"), "ca");
    cfg.tls.verify_peer = opt_bool(env, o, "verifyPeer", true);
    cfg.tls.require_client_cert = opt_bool(env, o, "requireClientCert", true);
    cfg.tls.gnutls_verify = opt_bool(env, o, "gnutlsVerify", true);
    cfg.tls.server_name = opt_str(env, o, "serverName");
    cfg.tls.keylog_file = opt_str(env, o, "keyLogFile");
    napi_value alpn = get(env, o, "alpn");
    uint32_t n = 0;
    if (napi_get_array_length(env, alpn, &n) != napi_ok || n == 0) throw Err("alpn must be a non-empty array");
    for (uint32_t i = 0; i < n; ++i) {
      napi_value e;
      NAPI(napi_get_element(env, alpn, i, &e));
      cfg.tls.alpn.push_back(str(env, e, "alpn[i]"));
    }
    cfg.idle_timeout_ms = (uint64_t)opt_num(env, o, "idleTimeoutMs", 180000);
    cfg.keep_alive_ms = (uint64_t)opt_num(env, o, "keepAliveMs", 20000);
    cfg.handshake_timeout_ms = (uint64_t)opt_num(env, o, "handshakeTimeoutMs", 10000);
    cfg.outage_after_ms = (uint64_t)opt_num(env, o, "outageAfterMs", 1500);
    cfg.outage_probe_ms = (uint64_t)opt_num(env, o, "outageProbeMs", 800);
    cfg.disable_active_migration = opt_bool(env, o, "disableActiveMigration", false);
    cfg.qlog_dir = opt_str(env, o, "qlogDir");
    cfg.reset_key = opt_key(env, o, "resetKey");
    cfg.local.host = str(env, get(env, o, "localHost"), "localHost");
    cfg.local.port = (uint16_t)num(env, get(env, o, "localPort"), "localPort");
    cfg.remote.host = str(env, get(env, o, "remoteHost"), "remoteHost");
    cfg.remote.port = (uint16_t)num(env, get(env, o, "remotePort"), "remotePort");
    const uint8_t *pkt = nullptr;
    size_t pktlen = 0;
    if (cfg.server) bytes(env, a.argv[1], &pkt, &pktlen, "initial packet");
    double now = num(env, a.argv[2], "nowMs");
    auto *h = new Holder();
    try {
      h->conn = new Conn(cfg, pkt, pktlen, (uint64_t)now);
    } catch (...) {
      delete h;
      throw;
    }
    NAPI(napi_wrap(env, a.self, h, finalize, nullptr, nullptr));
    return a.self;
  });
}

// recv(packet, localHost, localPort, remoteHost, remotePort, nowMs) -> status
napi_value Recv(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    Conn *c = unwrap(env, a);
    const uint8_t *p;
    size_t n;
    bytes(env, a.argv[0], &p, &n, "packet");
    Addr l = addr_arg(env, a, 1, "local address");
    Addr r = addr_arg(env, a, 3, "remote address");
    return mk_num(env, c->recv(p, n, l, r, num(env, a.argv[5], "nowMs")));
  });
}

// flush(nowMs) -> Datagram[] | status number on fatal error
napi_value Flush(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    Conn *c = unwrap(env, a);
    std::vector<gq::Datagram> out;
    int rv = c->flush(num(env, a.argv[0], "nowMs"), &out);
    if (rv != gq::ST_OK) return mk_num(env, rv);
    napi_value arr = mk_arr(env, out.size());
    for (size_t i = 0; i < out.size(); ++i) NAPI(napi_set_element(env, arr, i, datagram_obj(env, out[i])));
    return arr;
  });
}

napi_value Expiry(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    return mk_num(env, unwrap(env, a)->expiry_ms());
  });
}

napi_value HandleExpiry(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    Conn *c = unwrap(env, a);
    return mk_num(env, c->handle_expiry(num(env, a.argv[0], "nowMs")));
  });
}

napi_value OpenStream(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    Conn *c = unwrap(env, a);
    bool bidi;
    NAPI(napi_get_value_bool(env, a.argv[0], &bidi));
    return mk_num(env, (double)c->open_stream(bidi));
  });
}

// write(id, data | null, fin) -> unacknowledged bytes on the stream, or -1
napi_value Write(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    Conn *c = unwrap(env, a);
    int64_t id = (int64_t)num(env, a.argv[0], "stream id");
    const uint8_t *p = nullptr;
    size_t n = 0;
    if (!is_type(env, a.argv[1], napi_null)) bytes(env, a.argv[1], &p, &n, "data");
    bool fin;
    NAPI(napi_get_value_bool(env, a.argv[2], &fin));
    return mk_num(env, (double)c->write(id, p, n, fin));
  });
}

napi_value Unacked(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    return mk_num(env, (double)unwrap(env, a)->stream_unacked((int64_t)num(env, a.argv[0], "stream id")));
  });
}

napi_value ShutdownStream(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    Conn *c = unwrap(env, a);
    return mk_num(env, c->shutdown_stream((int64_t)num(env, a.argv[0], "stream id"),
                                          (uint64_t)num(env, a.argv[1], "code")));
  });
}

napi_value Consumed(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    unwrap(env, a)->consumed((int64_t)num(env, a.argv[0], "stream id"), (uint64_t)num(env, a.argv[1], "bytes"));
    return undef(env);
  });
}

// close(code, reason, app, nowMs) -> Datagram | null
napi_value Close(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    Conn *c = unwrap(env, a);
    bool app;
    NAPI(napi_get_value_bool(env, a.argv[2], &app));
    gq::Datagram d;
    if (!c->write_close((uint64_t)num(env, a.argv[0], "code"), str(env, a.argv[1], "reason"), app,
                        num(env, a.argv[3], "nowMs"), &d)) {
      napi_value nul;
      NAPI(napi_get_null(env, &nul));
      return nul;
    }
    return datagram_obj(env, d);
  });
}

napi_value CloseAfterError(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    Conn *c = unwrap(env, a);
    gq::Datagram d;
    if (!c->write_close_after_error(num(env, a.argv[0], "nowMs"), &d)) {
      napi_value nul;
      NAPI(napi_get_null(env, &nul));
      return nul;
    }
    return datagram_obj(env, d);
  });
}

napi_value Migrate(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    Conn *c = unwrap(env, a);
    Addr l = addr_arg(env, a, 0, "local address");
    int rv = c->migrate(l, num(env, a.argv[2], "nowMs"));
    return mk_str(env, rv == 0 ? "" : ngtcp2_strerror(rv));
  });
}

napi_value Pad(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    Conn *c = unwrap(env, a);
    gq::Datagram d;
    if (!c->pad(num(env, a.argv[0], "nowMs"), &d)) {
      napi_value nul;
      NAPI(napi_get_null(env, &nul));
      return nul;
    }
    return datagram_obj(env, d);
  });
}

napi_value SetKeepAlive(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    unwrap(env, a)->set_keep_alive((uint64_t)num(env, a.argv[0], "ms"));
    return undef(env);
  });
}

napi_value Drain(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    Conn *c = unwrap(env, a);
    auto evs = c->drain();
    napi_value arr = mk_arr(env, evs.size());
    for (size_t i = 0; i < evs.size(); ++i) {
      const gq::Event &e = evs[i];
      napi_value o = mk_obj(env);
      set(env, o, "type", mk_num(env, e.type));
      if (e.stream_id >= 0) set(env, o, "id", mk_num(env, (double)e.stream_id));
      switch (e.type) {
        case gq::EV_STREAM_DATA:
          set(env, o, "data", mk_buf(env, e.data.data(), e.data.size()));
          set(env, o, "fin", mk_bool(env, e.flag));
          break;
        case gq::EV_STREAM_CLOSE:
          set(env, o, "hasCode", mk_bool(env, e.flag));
          set(env, o, "code", mk_num(env, (double)e.code));
          break;
        case gq::EV_STREAM_RESET:
        case gq::EV_STOP_SENDING:
          set(env, o, "code", mk_num(env, (double)e.code));
          break;
        case gq::EV_PATH:
          set(env, o, "fromHost", mk_str(env, e.from.host));
          set(env, o, "fromPort", mk_num(env, e.from.port));
          set(env, o, "toHost", mk_str(env, e.to.host));
          set(env, o, "toPort", mk_num(env, e.to.port));
          set(env, o, "local", mk_str(env, e.text));
          break;
        case gq::EV_SCID_NEW:
        case gq::EV_SCID_RETIRED:
          set(env, o, "cid", mk_str(env, e.text));
          break;
        default:
          break;
      }
      NAPI(napi_set_element(env, arr, i, o));
    }
    return arr;
  });
}

napi_value Info(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    Conn *c = unwrap(env, a);
    ngtcp2_conn_stat cs = c->stat();
    napi_value o = mk_obj(env);
    set(env, o, "alpn", mk_str(env, c->alpn()));
    set(env, o, "odcid", mk_str(env, c->odcid_hex()));
    set(env, o, "handshake", mk_bool(env, c->handshake_done()));
    set(env, o, "rttMs", mk_num(env, (double)cs.smoothed_rtt / 1e6));
    set(env, o, "cwnd", mk_num(env, (double)cs.cwnd));
    set(env, o, "bytesInFlight", mk_num(env, (double)cs.bytes_in_flight));
    set(env, o, "ptoCount", mk_num(env, (double)cs.pto_count));
    set(env, o, "bytesSent", mk_num(env, (double)c->bytes_sent()));
    set(env, o, "bytesReceived", mk_num(env, (double)c->bytes_recv()));
    set(env, o, "pathChanges", mk_num(env, (double)c->path_changes()));
    set(env, o, "outage", mk_bool(env, c->in_outage()));
    set(env, o, "statelessReset", mk_bool(env, c->stateless_reset_received()));
    Addr r = c->remote(), l = c->local();
    set(env, o, "remoteHost", mk_str(env, r.host));
    set(env, o, "remotePort", mk_num(env, r.port));
    set(env, o, "localHost", mk_str(env, l.host));
    set(env, o, "localPort", mk_num(env, l.port));
    set(env, o, "tlsAlert", mk_num(env, c->tls_alert()));
    set(env, o, "lastError", mk_str(env, c->last_liberr() ? ngtcp2_strerror(c->last_liberr()) : ""));
    uint64_t code;
    std::string reason;
    int type;
    c->close_error(&code, &reason, &type);
    set(env, o, "closeCode", mk_num(env, (double)code));
    set(env, o, "closeReason", mk_str(env, reason));
    // 0 transport, 1 application, 2 version negotiation, 3 idle close
    set(env, o, "closeType", mk_num(env, type));
    return o;
  });
}

napi_value PeerCerts(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    auto certs = unwrap(env, a)->peer_certs();
    napi_value arr = mk_arr(env, certs.size());
    for (size_t i = 0; i < certs.size(); ++i)
      NAPI(napi_set_element(env, arr, i, mk_buf(env, certs[i].data(), certs[i].size())));
    return arr;
  });
}

napi_value Scids(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    auto ids = unwrap(env, a)->scids();
    napi_value arr = mk_arr(env, ids.size());
    for (size_t i = 0; i < ids.size(); ++i) NAPI(napi_set_element(env, arr, i, mk_str(env, ids[i])));
    return arr;
  });
}

napi_value Destroy(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    void *p;
    NAPI(napi_unwrap(env, a.self, &p));
    auto *h = static_cast<Holder *>(p);
    delete h->conn;
    h->conn = nullptr;
    return undef(env);
  });
}

// decodeCid(packet, shortDcidLen) -> { version, dcid, scid, long } | null
napi_value DecodeCid(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    const uint8_t *p;
    size_t n;
    bytes(env, a.argv[0], &p, &n, "packet");
    size_t scl = (size_t)num(env, a.argv[1], "short dcid length");
    if (n == 0) {  // ngtcp2 asserts on an empty datagram
      napi_value nul;
      NAPI(napi_get_null(env, &nul));
      return nul;
    }
    ngtcp2_version_cid vc;
    int rv = ngtcp2_pkt_decode_version_cid(&vc, p, n, scl);
    if (rv != 0 && rv != NGTCP2_ERR_VERSION_NEGOTIATION) {
      napi_value nul;
      NAPI(napi_get_null(env, &nul));
      return nul;
    }
    napi_value o = mk_obj(env);
    set(env, o, "version", mk_num(env, vc.version));
    set(env, o, "dcid", mk_str(env, gq::hex(vc.dcid, vc.dcidlen)));
    set(env, o, "scid", mk_str(env, vc.scid ? gq::hex(vc.scid, vc.scidlen) : ""));
    set(env, o, "long", mk_bool(env, n > 0 && (p[0] & 0x80) != 0));
    set(env, o, "supported", mk_bool(env, rv == 0));
    return o;
  });
}

// statelessReset(resetKey, packet, dcidLen) -> Buffer | null: the Stateless Reset
// answering a short-header packet for a connection ID we do not know (see conn.h).
napi_value StatelessReset(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    const uint8_t *k, *p;
    size_t kn, n;
    bytes(env, a.argv[0], &k, &kn, "resetKey");
    bytes(env, a.argv[1], &p, &n, "packet");
    size_t dcidlen = (size_t)num(env, a.argv[2], "dcid length");
    std::vector<uint8_t> out = gq::stateless_reset(std::vector<uint8_t>(k, k + kn), p, n, dcidlen);
    if (out.empty()) {
      napi_value nul;
      NAPI(napi_get_null(env, &nul));
      return nul;
    }
    return mk_buf(env, out.data(), out.size());
  });
}

napi_value Version(napi_env env, napi_callback_info) {
  return guard(env, [&]() -> napi_value {
    const ngtcp2_info *i = ngtcp2_version(0);
    return mk_str(env, std::string("ngtcp2 ") + i->version_str);
  });
}

napi_value Init(napi_env env, napi_value exports) {
  gq_stderr_init();
  return guard(env, [&]() -> napi_value {
    napi_property_descriptor methods[] = {
        {"recv", nullptr, Recv, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"flush", nullptr, Flush, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"expiry", nullptr, Expiry, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"handleExpiry", nullptr, HandleExpiry, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"openStream", nullptr, OpenStream, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"write", nullptr, Write, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"unacked", nullptr, Unacked, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"shutdownStream", nullptr, ShutdownStream, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"consumed", nullptr, Consumed, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"close", nullptr, Close, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"closeAfterError", nullptr, CloseAfterError, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"migrate", nullptr, Migrate, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"pad", nullptr, Pad, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"setKeepAlive", nullptr, SetKeepAlive, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"drain", nullptr, Drain, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"peerCerts", nullptr, PeerCerts, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"scids", nullptr, Scids, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"destroy", nullptr, Destroy, nullptr, nullptr, nullptr, napi_default, nullptr},
    };
    napi_value cls;
    NAPI(napi_define_class(env, "Connection", NAPI_AUTO_LENGTH, Ctor, nullptr,
                           sizeof(methods) / sizeof(methods[0]), methods, &cls));
    set(env, exports, "Connection", cls);
    napi_value fn;
    NAPI(napi_create_function(env, "decodeCid", NAPI_AUTO_LENGTH, DecodeCid, nullptr, &fn));
    set(env, exports, "decodeCid", fn);
    NAPI(napi_create_function(env, "statelessReset", NAPI_AUTO_LENGTH, StatelessReset, nullptr, &fn));
    set(env, exports, "statelessReset", fn);
    NAPI(napi_create_function(env, "version", NAPI_AUTO_LENGTH, Version, nullptr, &fn));
    set(env, exports, "version", fn);
    return exports;
  });
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
