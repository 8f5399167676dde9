// The `constants` object: every number in constants.h, by the names the JavaScript
// side (src/quic/native-constants.ts) checks them under at load.
#include "js_glue.h"
#include "js_values.h"

namespace gq::js {

namespace {

struct Named {
  const char *name;
  double value;
};

template <size_t N>
napi_value table(napi_env env, const Named (&entries)[N]) {
  napi_value o = mk_obj(env);
  for (const Named &e : entries) set(env, o, e.name, mk_num(env, e.value));
  return o;
}

}  // namespace

napi_value constants_obj(napi_env env) {
  const Named events[] = {
      {"Handshake", EV_HANDSHAKE},     {"Confirmed", EV_CONFIRMED},     {"StreamOpen", EV_STREAM_OPEN},
      {"StreamData", EV_STREAM_DATA},  {"StreamClose", EV_STREAM_CLOSE}, {"StreamReset", EV_STREAM_RESET},
      {"StopSending", EV_STOP_SENDING}, {"StreamsCredit", EV_STREAMS_CREDIT}, {"Path", EV_PATH},
      {"ScidNew", EV_SCID_NEW},        {"ScidRetired", EV_SCID_RETIRED}, {"Acked", EV_ACKED},
  };
  const Named status[] = {
      {"Ok", ST_OK},     {"Draining", ST_DRAINING},        {"Error", ST_ERROR},     {"Idle", ST_IDLE},
      {"Drop", ST_DROP}, {"HandshakeTimeout", ST_HS_TIMEOUT}, {"Blocked", ST_BLOCKED}, {"Closed", ST_CLOSED},
  };
  const Named limits[] = {
      {"scidLen", (double)kScidLen},
      {"resetKeyMin", (double)kResetKeyMin},
      {"resetKeyMax", (double)kResetKeyMax},
      {"maxTimeoutMs", (double)kMaxTimeoutMs},
      {"maxTimeMs", kMaxTimeMs},
      {"maxCidLen", NGTCP2_MAX_CIDLEN},
      {"minInitialBytes", NGTCP2_MAX_UDP_PAYLOAD_SIZE},
  };
  const Named defaults[] = {
      {"idleTimeoutMs", (double)kDefaultIdleTimeoutMs},
      {"keepAliveMs", (double)kDefaultKeepAliveMs},
      {"handshakeTimeoutMs", (double)kDefaultHandshakeTimeoutMs},
      {"outageAfterMs", (double)kDefaultOutageAfterMs},
      {"outageProbeMs", (double)kDefaultOutageProbeMs},
  };
  napi_value o = mk_obj(env);
  set(env, o, "events", table(env, events));
  set(env, o, "status", table(env, status));
  set(env, o, "limits", table(env, limits));
  set(env, o, "defaults", table(env, defaults));
  napi_value errors = mk_obj(env);
  set(env, errors, "arg", mk_str(env, kErrArg));
  set(env, errors, "failed", mk_str(env, kErrFailed));
  set(env, o, "errors", errors);
  return o;
}

}  // namespace gq::js
