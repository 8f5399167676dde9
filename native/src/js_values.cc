// Reading and making JavaScript values, with the checks that name a bad argument.
#include "js_values.h"

#include <cmath>
#include <cstdio>

namespace gq::js {

namespace {

const char *type_name(napi_valuetype t) {
  switch (t) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "a boolean";
    case napi_number: return "a number";
    case napi_string: return "a string";
    case napi_symbol: return "a symbol";
    case napi_object: return "an object";
    case napi_function: return "a function";
    case napi_external: return "an external";
    case napi_bigint: return "a bigint";
  }
  return "unknown";
}

std::string got(napi_env env, napi_value v) {
  napi_valuetype t;
  NAPI(napi_typeof(env, v, &t));
  return std::string(" (got ") + type_name(t) + ")";
}

std::string got_number(double d) {
  if (std::isnan(d)) return " (got NaN)";
  char buf[40];
  snprintf(buf, sizeof(buf), " (got %.17g)", d);
  return buf;
}

double number(napi_env env, napi_value v, const char *what) {
  if (!is_type(env, v, napi_number)) throw ArgError(std::string(what) + " must be a number" + got(env, v));
  double d;
  NAPI(napi_get_value_double(env, v, &d));
  return d;
}

}  // namespace

napi_value get(napi_env env, napi_value obj, const char *key) {
  napi_value v;
  NAPI(napi_get_named_property(env, obj, key, &v));
  return v;
}

bool is_type(napi_env env, napi_value v, napi_valuetype t) {
  napi_valuetype vt;
  NAPI(napi_typeof(env, v, &vt));
  return vt == t;
}

bool is_nullish(napi_env env, napi_value v) {
  napi_valuetype vt;
  NAPI(napi_typeof(env, v, &vt));
  return vt == napi_undefined || vt == napi_null;
}

std::string str(napi_env env, napi_value v, const char *what) {
  if (!is_type(env, v, napi_string)) throw ArgError(std::string(what) + " must be a string" + got(env, v));
  size_t len;
  NAPI(napi_get_value_string_utf8(env, v, nullptr, 0, &len));
  std::string s(len, '\0');
  NAPI(napi_get_value_string_utf8(env, v, &s[0], len + 1, &len));
  return s;
}

std::string opt_str(napi_env env, napi_value obj, const char *key) {
  napi_value v = get(env, obj, key);
  return is_nullish(env, v) ? "" : str(env, v, key);
}

bool boolean(napi_env env, napi_value v, const char *what) {
  if (!is_type(env, v, napi_boolean)) throw ArgError(std::string(what) + " must be a boolean" + got(env, v));
  bool b;
  NAPI(napi_get_value_bool(env, v, &b));
  return b;
}

bool opt_bool(napi_env env, napi_value obj, const char *key, bool dflt) {
  napi_value v = get(env, obj, key);
  return is_type(env, v, napi_undefined) ? dflt : boolean(env, v, key);
}

uint64_t uint(napi_env env, napi_value v, const char *what, uint64_t max) {
  double d = number(env, v, what);
  // Compared as doubles: max is at most 2^53 - 1, exact in a double.
  if (!(d >= 0 && d <= (double)max) || d != std::floor(d))
    throw ArgError(std::string(what) + " must be an integer from 0 to " + std::to_string(max) + got_number(d));
  return (uint64_t)d;
}

uint64_t opt_uint(napi_env env, napi_value obj, const char *key, uint64_t dflt, uint64_t max) {
  napi_value v = get(env, obj, key);
  return is_type(env, v, napi_undefined) ? dflt : uint(env, v, key, max);
}

int64_t stream_id(napi_env env, napi_value v) { return (int64_t)uint(env, v, "stream id", kMaxSafeInteger); }

double time_ms(napi_env env, napi_value v, const char *what) {
  double d = number(env, v, what);
  if (!(d >= 0 && d <= kMaxTimeMs))
    throw ArgError(std::string(what) + " must be a number of ms from 0 to 1e13" + got_number(d));
  return d;
}

void bytes(napi_env env, napi_value v, const uint8_t **data, size_t *len, const char *what) {
  bool is;
  NAPI(napi_is_typedarray(env, v, &is));
  napi_typedarray_type t = napi_int8_array;
  void *p = nullptr;
  if (is) {
    napi_value ab;
    size_t off;
    NAPI(napi_get_typedarray_info(env, v, &t, len, &p, &ab, &off));
  }
  if (!is || t != napi_uint8_array) throw ArgError(std::string(what) + " must be a Uint8Array" + (is ? "" : got(env, v)));
  *data = static_cast<const uint8_t *>(p);
}

std::vector<uint8_t> reset_key(napi_env env, napi_value v, const char *what) {
  const uint8_t *p;
  size_t n;
  bytes(env, v, &p, &n, what);
  if (n < kResetKeyMin || n > kResetKeyMax)
    throw ArgError(std::string(what) + " must be " + std::to_string(kResetKeyMin) + " to " + std::to_string(kResetKeyMax) +
                   " bytes (got " + std::to_string(n) + ")");
  return std::vector<uint8_t>(p, p + n);
}

napi_value mk_num(napi_env env, double d) {
  napi_value v;
  NAPI(napi_create_double(env, d, &v));
  return v;
}

napi_value mk_str(napi_env env, const std::string &s) {
  napi_value v;
  NAPI(napi_create_string_utf8(env, s.data(), s.size(), &v));
  return v;
}

napi_value mk_bool(napi_env env, bool b) {
  napi_value v;
  NAPI(napi_get_boolean(env, b, &v));
  return v;
}

napi_value mk_buf(napi_env env, const uint8_t *p, size_t n) {
  napi_value v;
  void *out;
  NAPI(napi_create_buffer_copy(env, n, p, &out, &v));
  return v;
}

napi_value mk_obj(napi_env env) {
  napi_value o;
  NAPI(napi_create_object(env, &o));
  return o;
}

napi_value mk_arr(napi_env env, size_t n) {
  napi_value a;
  NAPI(napi_create_array_with_length(env, n, &a));
  return a;
}

napi_value undef(napi_env env) {
  napi_value u;
  NAPI(napi_get_undefined(env, &u));
  return u;
}

napi_value null(napi_env env) {
  napi_value n;
  NAPI(napi_get_null(env, &n));
  return n;
}

void set(napi_env env, napi_value obj, const char *k, napi_value v) { NAPI(napi_set_named_property(env, obj, k, v)); }

void set_fn(napi_env env, napi_value obj, const char *name, napi_callback fn) {
  napi_value f;
  NAPI(napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, nullptr, &f));
  set(env, obj, name, f);
}

Args args(napi_env env, napi_callback_info info) {
  Args a;
  NAPI(napi_get_cb_info(env, info, &a.argc, a.argv, &a.self, nullptr));
  return a;
}

void throw_js(napi_env env, const ArgError &e) { napi_throw_type_error(env, kErrArg, e.what()); }

void throw_js(napi_env env, const char *message) { napi_throw_error(env, kErrFailed, message); }

}  // namespace gq::js
