// The callbacks ngtcp2 calls on a Conn (user_data), and its qlog and debug writers.
#pragma once

#include <ngtcp2/ngtcp2.h>

#include <cstddef>
#include <cstdint>

namespace gq {

// Sets every callback a client (server false) or server connection needs.
void set_callbacks(ngtcp2_callbacks *cb, bool server);
// ngtcp2's qlog writer: appends to the connection's qlog file.
void qlog_write(void *user_data, uint32_t flags, const void *data, size_t len);
// ngtcp2's debug log (GEOSTREAM_NGTCP2_DEBUG): one line per call on stderr.
void debug_printf(void *user_data, const char *fmt, ...);

}  // namespace gq
