// The parts of the addon's JavaScript glue (js_*.cc) and what each offers the others.
#pragma once

#include <node_api.h>

#include <memory>
#include <vector>

#include "conn.h"

namespace gq::js {

// js_context.cc: the ServerContext class (a listener's parsed credentials).
void define_server_context(napi_env env, napi_value exports);
std::shared_ptr<const TlsCreds> context_arg(napi_env env, napi_value v);

// js_options.cc: the Connection constructor's options object.
ConnConfig conn_config(napi_env env, napi_value opts);

// js_marshal.cc: what the core returns, as JavaScript objects.
napi_value datagram_obj(napi_env env, const Datagram &d);
napi_value events_arr(napi_env env, const std::vector<Event> &evs);
napi_value info_obj(napi_env env, const Conn &c);

// js_connection.cc: the Connection class.
void define_connection(napi_env env, napi_value exports);

// js_packets.cc: acceptInitial, decodeCid, statelessReset, retry, retryToken, invalidTokenClose.
void define_packet_functions(napi_env env, napi_value exports);

// js_constants.cc: the `constants` object (constants.h).
napi_value constants_obj(napi_env env);

}  // namespace gq::js
