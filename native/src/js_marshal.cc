// What the core returns, as JavaScript objects: datagrams, events, connection info.
#include "js_glue.h"
#include "js_values.h"

namespace gq::js {

napi_value datagram_obj(napi_env env, const Datagram &d) {
  napi_value o = mk_obj(env);
  set(env, o, "data", mk_buf(env, d.data.data(), d.data.size()));
  set(env, o, "localHost", mk_str(env, d.local.host));
  set(env, o, "localPort", mk_num(env, d.local.port));
  set(env, o, "remoteHost", mk_str(env, d.remote.host));
  set(env, o, "remotePort", mk_num(env, d.remote.port));
  return o;
}

napi_value events_arr(napi_env env, const std::vector<Event> &evs) {
  napi_value arr = mk_arr(env, evs.size());
  for (size_t i = 0; i < evs.size(); ++i) {
    const Event &e = evs[i];
    napi_value o = mk_obj(env);
    set(env, o, "type", mk_num(env, e.type));
    if (e.stream_id >= 0) set(env, o, "id", mk_num(env, (double)e.stream_id));
    switch (e.type) {
      case EV_STREAM_DATA:
        set(env, o, "data", mk_buf(env, e.data.data(), e.data.size()));
        set(env, o, "fin", mk_bool(env, e.flag));
        break;
      case EV_STREAM_CLOSE:
        set(env, o, "hasCode", mk_bool(env, e.flag));
        set(env, o, "code", mk_num(env, (double)e.code));
        break;
      case EV_STREAM_RESET:
      case EV_STOP_SENDING:
        set(env, o, "code", mk_num(env, (double)e.code));
        break;
      case EV_PATH:
        set(env, o, "fromHost", mk_str(env, e.from.host));
        set(env, o, "fromPort", mk_num(env, e.from.port));
        set(env, o, "toHost", mk_str(env, e.to.host));
        set(env, o, "toPort", mk_num(env, e.to.port));
        set(env, o, "local", mk_str(env, e.text));
        break;
      case EV_SCID_NEW:
      case EV_SCID_RETIRED:
        set(env, o, "cid", mk_str(env, e.text));
        break;
      default:
        break;
    }
    NAPI(napi_set_element(env, arr, i, o));
  }
  return arr;
}

napi_value info_obj(napi_env env, const Conn &c) {
  ngtcp2_conn_stat cs = c.stat();
  napi_value o = mk_obj(env);
  set(env, o, "alpn", mk_str(env, c.alpn()));
  set(env, o, "odcid", mk_str(env, c.odcid_hex()));
  set(env, o, "handshake", mk_bool(env, c.handshake_done()));
  set(env, o, "rttMs", mk_num(env, (double)cs.smoothed_rtt / 1e6));
  set(env, o, "cwnd", mk_num(env, (double)cs.cwnd));
  set(env, o, "bytesInFlight", mk_num(env, (double)cs.bytes_in_flight));
  set(env, o, "ptoCount", mk_num(env, (double)cs.pto_count));
  set(env, o, "bytesSent", mk_num(env, (double)c.bytes_sent()));
  set(env, o, "bytesReceived", mk_num(env, (double)c.bytes_recv()));
  set(env, o, "pathChanges", mk_num(env, (double)c.path_changes()));
  set(env, o, "outage", mk_bool(env, c.in_outage()));
  set(env, o, "statelessReset", mk_bool(env, c.stateless_reset_received()));
  Addr r = c.remote(), l = c.local();
  set(env, o, "remoteHost", mk_str(env, r.host));
  set(env, o, "remotePort", mk_num(env, r.port));
  set(env, o, "localHost", mk_str(env, l.host));
  set(env, o, "localPort", mk_num(env, l.port));
  set(env, o, "tlsAlert", mk_num(env, c.tls_alert()));
  set(env, o, "lastError", mk_str(env, c.last_liberr() ? ngtcp2_strerror(c.last_liberr()) : ""));
  uint64_t code;
  std::string reason;
  int type;
  c.close_error(&code, &reason, &type);
  set(env, o, "closeCode", mk_num(env, (double)code));
  set(env, o, "closeReason", mk_str(env, reason));
  // 0 transport, 1 application, 2 version negotiation, 3 idle close
  set(env, o, "closeType", mk_num(env, type));
  return o;
}

}  // namespace gq::js
