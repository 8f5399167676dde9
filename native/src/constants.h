// The numbers the addon and its JavaScript side (src/quic/native-loader.ts)
// must agree on: event and status codes, limits and defaults. The addon exports
// them all (`constants`) and the loader compares them with its own at load.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gq {

enum EventType {
  EV_HANDSHAKE = 1,      // handshake completed (server: client authenticated)
  EV_CONFIRMED = 2,      // handshake confirmed (client: HANDSHAKE_DONE received)
  EV_STREAM_OPEN = 3,    // peer opened stream
  EV_STREAM_DATA = 4,    // data (+fin)
  EV_STREAM_CLOSE = 5,   // stream fully closed (code if set)
  EV_STREAM_RESET = 6,   // peer reset its sending side
  EV_STOP_SENDING = 7,   // peer asked us to stop sending
  EV_STREAMS_CREDIT = 8, // we may open more streams
  EV_PATH = 9,           // validated path change: from/to remote (and local)
  EV_SCID_NEW = 10,      // server: a connection ID to route
  EV_SCID_RETIRED = 11,  // server: stop routing this connection ID
  EV_ACKED = 12,         // stream data acknowledged (for backpressure)
};

// What a call that can fail returns: ST_OK, or one of these (all negative, so a
// call that otherwise returns a count or a stream id returns them in its place).
enum Status {
  ST_OK = 0,
  ST_DRAINING = -1,   // peer closed: see close_error()
  ST_ERROR = -2,      // local fatal error: call write_close_after_error()
  ST_IDLE = -3,       // idle timeout: gone silently
  ST_DROP = -4,       // drop silently (e.g. handshake timeout, stateless reset)
  ST_HS_TIMEOUT = -5, // handshake timeout
  ST_BLOCKED = -6,    // open_stream: the peer's stream limit is reached
  ST_CLOSED = -7,     // a stream that cannot take data (unknown, ended or reset)
};

// Length of the connection IDs we issue (the server's routing key).
constexpr size_t kScidLen = 16;
// A stateless reset key: bytes at least and at most.
constexpr size_t kResetKeyMin = 16;
constexpr size_t kResetKeyMax = 64;
// Longest timeout or interval an option takes, ms (about 49.7 days).
constexpr uint64_t kMaxTimeoutMs = 0xffffffffu;
// Latest time a call takes, ms on the caller's clock (about 317 years).
constexpr double kMaxTimeMs = 1e13;

// Defaults of the connection options (ConnConfig and the addon's option parser).
constexpr uint64_t kDefaultIdleTimeoutMs = 180000;
constexpr uint64_t kDefaultKeepAliveMs = 20000;
constexpr uint64_t kDefaultHandshakeTimeoutMs = 10000;
constexpr uint64_t kDefaultOutageAfterMs = 1500;
constexpr uint64_t kDefaultOutageProbeMs = 800;

// The code property of every error the addon throws: a bad argument (a TypeError
// naming it) or a failed operation.
constexpr const char *kErrArg = "ERR_GEOSTREAM_QUIC_ARG";
constexpr const char *kErrFailed = "ERR_GEOSTREAM_QUIC";

}  // namespace gq
