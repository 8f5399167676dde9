// The Connection class: one gq::Conn per JavaScript object, each method checking its
// arguments before the core sees them.
#include <memory>

#include "js_glue.h"
#include "js_values.h"

namespace gq::js {

namespace {

struct Holder {
  Conn *conn = nullptr;
};

void finalize(napi_env, void *data, void *) {
  auto *h = static_cast<Holder *>(data);
  delete h->conn;
  delete h;
}

Conn *unwrap(napi_env env, const Args &a) {
  void *p;
  NAPI(napi_unwrap(env, a.self, &p));
  auto *h = static_cast<Holder *>(p);
  if (!h->conn) throw Failure("connection already destroyed");
  return h->conn;
}

Addr addr_arg(napi_env env, const Args &a, size_t i, const char *host, const char *port) {
  Addr r;
  r.host = str(env, a.argv[i], host);
  r.port = (uint16_t)uint(env, a.argv[i + 1], port, kMaxPort);
  return r;
}

napi_value datagram_or_null(napi_env env, bool ok, const Datagram &d) { return ok ? datagram_obj(env, d) : null(env); }

// new Connection(opts, initialPacket | null, nowMs)
napi_value Ctor(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    if (!is_type(env, a.argv[0], napi_object)) throw ArgError("Connection(opts, packet, nowMs): opts must be an object");
    ConnConfig cfg = conn_config(env, a.argv[0]);
    const uint8_t *pkt = nullptr;
    size_t pktlen = 0;
    if (cfg.server) bytes(env, a.argv[1], &pkt, &pktlen, "initial packet");
    double now = time_ms(env, a.argv[2], "nowMs");
    auto conn = std::make_unique<Conn>(cfg, pkt, pktlen, (uint64_t)now);
    auto h = std::make_unique<Holder>();
    NAPI(napi_wrap(env, a.self, h.get(), finalize, nullptr, nullptr));
    h.release()->conn = conn.release();
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
    Addr l = addr_arg(env, a, 1, "localHost", "localPort");
    Addr r = addr_arg(env, a, 3, "remoteHost", "remotePort");
    return mk_num(env, c->recv(p, n, l, r, time_ms(env, a.argv[5], "nowMs")));
  });
}

// flush(nowMs) -> Datagram[] | status number on fatal error
napi_value Flush(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    Conn *c = unwrap(env, a);
    std::vector<Datagram> out;
    int rv = c->flush(time_ms(env, a.argv[0], "nowMs"), &out);
    if (rv != ST_OK) return mk_num(env, rv);
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
    return mk_num(env, c->handle_expiry(time_ms(env, a.argv[0], "nowMs")));
  });
}

// openStream(bidi) -> stream id, or ST_BLOCKED
napi_value OpenStream(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    Conn *c = unwrap(env, a);
    return mk_num(env, (double)c->open_stream(boolean(env, a.argv[0], "bidi")));
  });
}

// write(id, data | null, fin) -> unacknowledged bytes on the stream, or ST_CLOSED
napi_value Write(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    Conn *c = unwrap(env, a);
    int64_t id = stream_id(env, a.argv[0]);
    const uint8_t *p = nullptr;
    size_t n = 0;
    if (!is_type(env, a.argv[1], napi_null)) bytes(env, a.argv[1], &p, &n, "data");
    return mk_num(env, (double)c->write(id, p, n, boolean(env, a.argv[2], "fin")));
  });
}

napi_value Unacked(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    Conn *c = unwrap(env, a);
    return mk_num(env, (double)c->stream_unacked(stream_id(env, a.argv[0])));
  });
}

// shutdownStream(id, code) -> ST_OK, or ST_ERROR
napi_value ShutdownStream(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    Conn *c = unwrap(env, a);
    int64_t id = stream_id(env, a.argv[0]);
    return mk_num(env, c->shutdown_stream(id, uint(env, a.argv[1], "code", kMaxSafeInteger)));
  });
}

napi_value Consumed(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    Conn *c = unwrap(env, a);
    int64_t id = stream_id(env, a.argv[0]);
    c->consumed(id, uint(env, a.argv[1], "bytes", kMaxSafeInteger));
    return undef(env);
  });
}

// close(code, reason, app, nowMs) -> Datagram | null
napi_value Close(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    Conn *c = unwrap(env, a);
    uint64_t code = uint(env, a.argv[0], "code", kMaxSafeInteger);
    std::string reason = str(env, a.argv[1], "reason");
    bool app = boolean(env, a.argv[2], "app");
    Datagram d;
    return datagram_or_null(env, c->write_close(code, reason, app, time_ms(env, a.argv[3], "nowMs"), &d), d);
  });
}

napi_value CloseAfterError(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    Conn *c = unwrap(env, a);
    Datagram d;
    return datagram_or_null(env, c->write_close_after_error(time_ms(env, a.argv[0], "nowMs"), &d), d);
  });
}

// migrate(localHost, localPort, nowMs) -> '' on success, else why not
napi_value Migrate(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    Conn *c = unwrap(env, a);
    Addr l = addr_arg(env, a, 0, "localHost", "localPort");
    int rv = c->migrate(l, time_ms(env, a.argv[2], "nowMs"));
    return mk_str(env, rv == 0 ? "" : ngtcp2_strerror(rv));
  });
}

napi_value Pad(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    Conn *c = unwrap(env, a);
    Datagram d;
    return datagram_or_null(env, c->pad(time_ms(env, a.argv[0], "nowMs"), &d), d);
  });
}

napi_value SetKeepAlive(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    Conn *c = unwrap(env, a);
    c->set_keep_alive(uint(env, a.argv[0], "keepAliveMs", kMaxTimeoutMs));
    return undef(env);
  });
}

napi_value Drain(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    return events_arr(env, unwrap(env, a)->drain());
  });
}

napi_value Info(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    return info_obj(env, *unwrap(env, a));
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

napi_property_descriptor method(const char *name, napi_callback fn) {
  return {name, nullptr, fn, nullptr, nullptr, nullptr, napi_default, nullptr};
}

}  // namespace

void define_connection(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
      method("recv", Recv),
      method("flush", Flush),
      method("expiry", Expiry),
      method("handleExpiry", HandleExpiry),
      method("openStream", OpenStream),
      method("write", Write),
      method("unacked", Unacked),
      method("shutdownStream", ShutdownStream),
      method("consumed", Consumed),
      method("close", Close),
      method("closeAfterError", CloseAfterError),
      method("migrate", Migrate),
      method("pad", Pad),
      method("setKeepAlive", SetKeepAlive),
      method("drain", Drain),
      method("info", Info),
      method("peerCerts", PeerCerts),
      method("scids", Scids),
      method("destroy", Destroy),
  };
  napi_value cls;
  NAPI(napi_define_class(env, "Connection", NAPI_AUTO_LENGTH, Ctor, nullptr, sizeof(methods) / sizeof(methods[0]), methods,
                         &cls));
  set(env, exports, "Connection", cls);
}

}  // namespace gq::js
