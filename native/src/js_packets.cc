// Functions on a datagram that needs no connection: the accept-path check, the
// connection IDs to route by, and the Stateless Reset answering an unknown one.
#include "js_glue.h"
#include "js_values.h"

namespace gq::js {

namespace {

// acceptInitial(packet) -> '' when it may open a connection (ngtcp2_accept), else why not.
// Allocates nothing: the server calls it before building anything for the sender.
napi_value AcceptInitial(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    const uint8_t *p;
    size_t n;
    bytes(env, a.argv[0], &p, &n, "packet");
    int rv = accept_initial(p, n, nullptr);
    if (rv == 0) return mk_str(env, "");
    if (n == 0) return mk_str(env, "empty datagram");
    if ((p[0] & 0x80) == 0) return mk_str(env, "short header for no connection");
    unsigned type = (p[0] >> 4) & 3;  // QUIC v1 long header types
    if (type == 0 && n < NGTCP2_MAX_UDP_PAYLOAD_SIZE) return mk_str(env, "Initial shorter than 1200 bytes");
    if (type == 0) return mk_str(env, "malformed Initial");
    return mk_str(env, type == 1 ? "0-RTT for no connection" : type == 2 ? "Handshake for no connection" : "Retry sent to a server");
  });
}

// decodeCid(packet, shortDcidLen) -> { version, dcid, scid, long, supported } | null
napi_value DecodeCid(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    const uint8_t *p;
    size_t n;
    bytes(env, a.argv[0], &p, &n, "packet");
    size_t scl = (size_t)uint(env, a.argv[1], "shortDcidLen", NGTCP2_MAX_CIDLEN);
    if (n == 0) return null(env);  // ngtcp2 asserts on an empty datagram
    ngtcp2_version_cid vc;
    int rv = ngtcp2_pkt_decode_version_cid(&vc, p, n, scl);
    if (rv != 0 && rv != NGTCP2_ERR_VERSION_NEGOTIATION) return null(env);
    napi_value o = mk_obj(env);
    set(env, o, "version", mk_num(env, vc.version));
    set(env, o, "dcid", mk_str(env, hex(vc.dcid, vc.dcidlen)));
    set(env, o, "scid", mk_str(env, vc.scid ? hex(vc.scid, vc.scidlen) : ""));
    set(env, o, "long", mk_bool(env, (p[0] & 0x80) != 0));
    set(env, o, "supported", mk_bool(env, rv == 0));
    return o;
  });
}

// statelessReset(resetKey, packet, dcidLen) -> Buffer | null: the Stateless Reset
// answering a short-header packet for a connection ID we do not know (stateless.h).
napi_value StatelessReset(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    std::vector<uint8_t> key = reset_key(env, a.argv[0], "resetKey");
    const uint8_t *p;
    size_t n;
    bytes(env, a.argv[1], &p, &n, "packet");
    size_t dcidlen = (size_t)uint(env, a.argv[2], "dcidLen", NGTCP2_MAX_CIDLEN);
    std::vector<uint8_t> out = stateless_reset(key, p, n, dcidlen);
    return out.empty() ? null(env) : mk_buf(env, out.data(), out.size());
  });
}

}  // namespace

void define_packet_functions(napi_env env, napi_value exports) {
  set_fn(env, exports, "acceptInitial", AcceptInitial);
  set_fn(env, exports, "decodeCid", DecodeCid);
  set_fn(env, exports, "statelessReset", StatelessReset);
}

}  // namespace gq::js
