// Reading and making JavaScript values for the addon's functions. Every reader checks
// what it gets and throws ArgError (a TypeError for JavaScript) naming the argument:
// wrong type, a number out of range, not an integer where one is needed.
#pragma once

#include <node_api.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "constants.h"

namespace gq::js {

// A bad argument: thrown to JavaScript as a TypeError with code kErrArg.
struct ArgError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A failed operation: thrown to JavaScript as an Error with code kErrFailed (so is any
// other std::exception).
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

#define NAPI(call)                                                      \
  do {                                                                  \
    if ((call) != napi_ok) throw ::gq::js::Failure("N-API call failed: " #call); \
  } while (0)

// The largest integer a JavaScript number holds exactly (2^53 - 1).
constexpr uint64_t kMaxSafeInteger = 9007199254740991ull;
constexpr uint64_t kMaxPort = 65535;

napi_value get(napi_env env, napi_value obj, const char *key);
bool is_type(napi_env env, napi_value v, napi_valuetype t);
bool is_nullish(napi_env env, napi_value v);

std::string str(napi_env env, napi_value v, const char *what);
std::string opt_str(napi_env env, napi_value obj, const char *key);  // "" when absent
bool boolean(napi_env env, napi_value v, const char *what);
bool opt_bool(napi_env env, napi_value obj, const char *key, bool dflt);
// An integer from 0 to max (max at most kMaxSafeInteger).
uint64_t uint(napi_env env, napi_value v, const char *what, uint64_t max);
uint64_t opt_uint(napi_env env, napi_value obj, const char *key, uint64_t dflt, uint64_t max);
// A stream id: an integer from 0 to kMaxSafeInteger.
int64_t stream_id(napi_env env, napi_value v);
// A time on the caller's clock in ms: a number (fractions allowed) from 0 to kMaxTimeMs.
double time_ms(napi_env env, napi_value v, const char *what);
// The bytes of a Uint8Array (not copied: valid while v is).
void bytes(napi_env env, napi_value v, const uint8_t **data, size_t *len, const char *what);
// A Uint8Array of kResetKeyMin to kResetKeyMax bytes, copied.
std::vector<uint8_t> reset_key(napi_env env, napi_value v, const char *what);

napi_value mk_num(napi_env env, double d);
napi_value mk_str(napi_env env, const std::string &s);
napi_value mk_bool(napi_env env, bool b);
napi_value mk_buf(napi_env env, const uint8_t *p, size_t n);
napi_value mk_obj(napi_env env);
napi_value mk_arr(napi_env env, size_t n);
napi_value undef(napi_env env);
napi_value null(napi_env env);
void set(napi_env env, napi_value obj, const char *k, napi_value v);
// Adds a function named name to obj.
void set_fn(napi_env env, napi_value obj, const char *name, napi_callback fn);

struct Args {
  napi_value self;
  napi_value argv[8];  // missing arguments are undefined
  size_t argc = 8;
};
Args args(napi_env env, napi_callback_info info);

// Runs f, turning what it throws into the JavaScript error of the addon's one
// error domain: a TypeError (code kErrArg) for a bad argument, else an Error (code
// kErrFailed). Every function the addon exports runs in it.
void throw_js(napi_env env, const ArgError &e);
void throw_js(napi_env env, const char *message);
template <typename F>
napi_value guard(napi_env env, F f) {
  try {
    return f();
  } catch (const ArgError &e) {
    throw_js(env, e);
  } catch (const std::exception &e) {
    throw_js(env, e.what());
  } catch (...) {
    throw_js(env, "unknown failure");
  }
  return nullptr;
}

}  // namespace gq::js
