// One stream's send buffer: the bytes queued on it, kept until the peer has
// acknowledged them (ngtcp2 keeps pointers into them until then).
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

namespace gq {

struct SendChunk {
  uint64_t offset;
  std::vector<uint8_t> bytes;
};

struct Stream {
  int64_t id;
  std::deque<SendChunk> chunks;  // not yet acknowledged (ngtcp2 keeps pointers)
  uint64_t acked = 0;    // bytes acknowledged (cumulative)
  uint64_t written = 0;  // bytes handed to ngtcp2 at least once
  uint64_t total = 0;    // bytes queued
  bool fin_queued = false;
  bool fin_written = false;
  bool write_closed = false;  // reset / stop_sending / closed: nothing more goes out
  bool blocked = false;       // flow control blocked in this flush round
};

}  // namespace gq
