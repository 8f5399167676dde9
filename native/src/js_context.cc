// ServerContext: a listener's certificate, key and CA parsed once, shared by every
// connection it accepts (passed as the `context` option).
#include <memory>

#include "js_glue.h"
#include "js_values.h"

namespace gq::js {

namespace {

struct ContextHolder {
  std::shared_ptr<const TlsCreds> creds;
};

napi_ref context_class = nullptr;

void finalize_context(napi_env, void *data, void *) { delete static_cast<ContextHolder *>(data); }

// new ServerContext({ cert, key, ca })
napi_value ContextCtor(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a = args(env, info);
    if (!is_type(env, a.argv[0], napi_object)) throw ArgError("ServerContext({ cert, key, ca }): options must be an object");
    napi_value o = a.argv[0];
    auto h = std::make_unique<ContextHolder>();
    h->creds = std::make_shared<const TlsCreds>(str(env, get(env, o, "cert"), "cert"), str(env, get(env, o, "key"), "key"),
                                                str(env, get(env, o, "ca"), "ca"), true);
    NAPI(napi_wrap(env, a.self, h.get(), finalize_context, nullptr, nullptr));
    h.release();
    return a.self;
  });
}

}  // namespace

void define_server_context(napi_env env, napi_value exports) {
  napi_value cls;
  NAPI(napi_define_class(env, "ServerContext", NAPI_AUTO_LENGTH, ContextCtor, nullptr, 0, nullptr, &cls));
  NAPI(napi_create_reference(env, cls, 1, &context_class));
  set(env, exports, "ServerContext", cls);
}

std::shared_ptr<const TlsCreds> context_arg(napi_env env, napi_value v) {
  napi_value cls;
  NAPI(napi_get_reference_value(env, context_class, &cls));
  bool is = false;
  if (is_type(env, v, napi_object)) NAPI(napi_instanceof(env, v, cls, &is));
  if (!is) throw ArgError("context must be a ServerContext");
  void *p;
  NAPI(napi_unwrap(env, v, &p));
  return static_cast<ContextHolder *>(p)->creds;
}

}  // namespace gq::js
