// Functions on a datagram that needs no connection: the accept-path check, the
// connection IDs to route by, the Stateless Reset answering an unknown one, and
// address validation by Retry (retry.h).
#include "js_glue.h"
#include "js_values.h"
#include "retry.h"

namespace gq::js {

namespace {

// A datagram argument: its bytes (not copied: valid while the argument is).
struct Packet {
  const uint8_t *p = nullptr;
  size_t n = 0;
};

Packet packet(napi_env env, napi_value v) {
  Packet k;
  bytes(env, v, &k.p, &k.n, "packet");
  return k;
}

// acceptInitial(packet) -> '' when it may open a connection (ngtcp2_accept), else why not.
// Allocates nothing: the server calls it before building anything for the sender.
napi_value AcceptInitial(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    auto [p, n] = packet(env, a.argv[0]);
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
    auto [p, n] = packet(env, a.argv[0]);
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
    auto [p, n] = packet(env, a.argv[1]);
    size_t dcidlen = (size_t)uint(env, a.argv[2], "dcidLen", NGTCP2_MAX_CIDLEN);
    std::vector<uint8_t> out = stateless_reset(key, p, n, dcidlen);
    return out.empty() ? null(env) : mk_buf(env, out.data(), out.size());
  });
}

// The listener's secret, the Initial and its sender, the arguments every Retry function
// starts with (secret, packet, remoteHost, remotePort).
struct RetryArgs {
  std::vector<uint8_t> secret;
  Packet pkt;
  Addr remote;
};

RetryArgs retry_args(napi_env env, const Args &a) {
  RetryArgs r;
  r.secret = reset_key(env, a.argv[0], "retrySecret");
  r.pkt = packet(env, a.argv[1]);
  r.remote.host = str(env, a.argv[2], "remoteHost");
  r.remote.port = (uint16_t)uint(env, a.argv[3], "remotePort", kMaxPort);
  return r;
}

napi_value buf_or_null(napi_env env, const uint8_t *p, size_t n) { return n ? mk_buf(env, p, n) : null(env); }

// retry(retrySecret, packet, remoteHost, remotePort, nowMs) -> Buffer | null: the Retry
// answering an acceptable Initial (null: it does not decode, or no token could be made).
napi_value Retry(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    RetryArgs r = retry_args(env, a);
    double now = time_ms(env, a.argv[4], "nowMs");
    uint8_t out[kRetryBufSize];
    return buf_or_null(env, out, write_retry(r.secret, r.pkt.p, r.pkt.n, r.remote, ms_to_ts(now), out));
  });
}

// retryToken(retrySecret, packet, remoteHost, remotePort, ttlMs, nowMs) ->
// { status: 'none' | 'valid' | 'invalid', odcid?: Buffer }: the Initial's Retry token
// checked, and when valid the original destination connection ID it holds.
napi_value RetryTokenOf(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    RetryArgs r = retry_args(env, a);
    uint64_t ttl = uint(env, a.argv[4], "ttlMs", kMaxTimeoutMs);
    double now = time_ms(env, a.argv[5], "nowMs");
    ngtcp2_cid odcid{};
    RetryToken t = check_retry_token(r.secret, r.pkt.p, r.pkt.n, r.remote, ttl * NGTCP2_MILLISECONDS, ms_to_ts(now), &odcid);
    napi_value o = mk_obj(env);
    set(env, o, "status", mk_str(env, t == RetryToken::kValid ? "valid" : t == RetryToken::kNone ? "none" : "invalid"));
    if (t == RetryToken::kValid) set(env, o, "odcid", mk_buf(env, odcid.data, odcid.datalen));
    return o;
  });
}

// invalidTokenClose(packet) -> Buffer | null: CONNECTION_CLOSE INVALID_TOKEN answering
// an acceptable Initial whose Retry token did not verify.
napi_value InvalidTokenClose(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    auto [p, n] = packet(env, a.argv[0]);
    uint8_t out[kRetryBufSize];
    return buf_or_null(env, out, write_invalid_token_close(p, n, out));
  });
}

}  // namespace

void define_packet_functions(napi_env env, napi_value exports) {
  set_fn(env, exports, "acceptInitial", AcceptInitial);
  set_fn(env, exports, "decodeCid", DecodeCid);
  set_fn(env, exports, "statelessReset", StatelessReset);
  set_fn(env, exports, "retry", Retry);
  set_fn(env, exports, "retryToken", RetryTokenOf);
  set_fn(env, exports, "invalidTokenClose", InvalidTokenClose);
}

}  // namespace gq::js
