// The addon's entry: exports Connection, ServerContext, the packet functions,
// version() and constants. The glue is in js_*.cc, the core (no N-API) in the rest.
#include <node_api.h>
#include <ngtcp2/ngtcp2.h>

#include <string>

#include "js_glue.h"
#include "js_values.h"

extern "C" void gq_stderr_init(void);

namespace gq::js {

namespace {

napi_value Version(napi_env env, napi_callback_info) {
  return guard(env, [&]() -> napi_value {
    const ngtcp2_info *i = ngtcp2_version(0);
    return mk_str(env, std::string("ngtcp2 ") + i->version_str);
  });
}

napi_value Init(napi_env env, napi_value exports) {
  gq_stderr_init();
  return guard(env, [&]() -> napi_value {
    define_connection(env, exports);
    define_server_context(env, exports);
    define_packet_functions(env, exports);
    set_fn(env, exports, "version", Version);
    set(env, exports, "constants", constants_obj(env));
    return exports;
  });
}

}  // namespace

}  // namespace gq::js

NAPI_MODULE(NODE_GYP_MODULE_NAME, gq::js::Init)
