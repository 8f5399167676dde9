// The Connection constructor's options object, checked key by key into a ConnConfig.
#include "js_glue.h"
#include "js_values.h"

namespace gq::js {

namespace {

Addr addr(napi_env env, napi_value o, const char *host_key, const char *port_key) {
  Addr a;
  a.host = str(env, get(env, o, host_key), host_key);
  a.port = (uint16_t)uint(env, get(env, o, port_key), port_key, kMaxPort);
  return a;
}

}  // namespace

ConnConfig conn_config(napi_env env, napi_value o) {
  ConnConfig cfg;
  cfg.server = opt_bool(env, o, "server", false);
  napi_value ctx = get(env, o, "context");
  if (!is_type(env, ctx, napi_undefined)) {
    cfg.creds = context_arg(env, ctx);
  } else {
    cfg.tls.cert = str(env, get(env, o, "cert"), "cert");
    cfg.tls.key = str(env, get(env, o, "key"), "key");
    cfg.tls.ca = str(env, get(env, o, "ca"), "ca");
  }
  cfg.tls.verify_peer = opt_bool(env, o, "verifyPeer", true);
  cfg.tls.require_client_cert = opt_bool(env, o, "requireClientCert", true);
  cfg.tls.gnutls_verify = opt_bool(env, o, "gnutlsVerify", true);
  cfg.tls.server_name = opt_str(env, o, "serverName");
  cfg.tls.keylog_file = opt_str(env, o, "keyLogFile");
  napi_value alpn = get(env, o, "alpn");
  bool is_array = false;
  NAPI(napi_is_array(env, alpn, &is_array));
  uint32_t n = 0;
  if (is_array) NAPI(napi_get_array_length(env, alpn, &n));
  if (n == 0) throw ArgError("alpn must be a non-empty array");
  for (uint32_t i = 0; i < n; ++i) {
    napi_value e;
    NAPI(napi_get_element(env, alpn, i, &e));
    cfg.tls.alpn.push_back(str(env, e, "alpn[i]"));
  }
  cfg.idle_timeout_ms = opt_uint(env, o, "idleTimeoutMs", cfg.idle_timeout_ms, kMaxTimeoutMs);
  cfg.keep_alive_ms = opt_uint(env, o, "keepAliveMs", cfg.keep_alive_ms, kMaxTimeoutMs);
  cfg.handshake_timeout_ms = opt_uint(env, o, "handshakeTimeoutMs", cfg.handshake_timeout_ms, kMaxTimeoutMs);
  cfg.outage_after_ms = opt_uint(env, o, "outageAfterMs", cfg.outage_after_ms, kMaxTimeoutMs);
  cfg.outage_probe_ms = opt_uint(env, o, "outageProbeMs", cfg.outage_probe_ms, kMaxTimeoutMs);
  cfg.disable_active_migration = opt_bool(env, o, "disableActiveMigration", false);
  cfg.qlog_dir = opt_str(env, o, "qlogDir");
  napi_value key = get(env, o, "resetKey");
  if (!is_nullish(env, key)) cfg.reset_key = reset_key(env, key, "resetKey");
  napi_value odcid = get(env, o, "originalDcid");
  if (!is_nullish(env, odcid)) {
    const uint8_t *p;
    size_t n;
    bytes(env, odcid, &p, &n, "originalDcid");
    if (n < NGTCP2_MIN_INITIAL_DCIDLEN || n > NGTCP2_MAX_CIDLEN)
      throw ArgError("originalDcid must be " + std::to_string(NGTCP2_MIN_INITIAL_DCIDLEN) + " to " +
                     std::to_string(NGTCP2_MAX_CIDLEN) + " bytes (got " + std::to_string(n) + ")");
    cfg.retried = true;
    ngtcp2_cid_init(&cfg.original_dcid, p, n);
  }
  cfg.local = addr(env, o, "localHost", "localPort");
  cfg.remote = addr(env, o, "remoteHost", "remotePort");
  return cfg;
}

}  // namespace gq::js
