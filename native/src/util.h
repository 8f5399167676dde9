// Small value helpers of the core: addresses, hex, time.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace gq {

struct Addr {
  std::string host;
  uint16_t port = 0;
};

bool addr_to_sockaddr(const Addr &a, sockaddr_storage *ss, socklen_t *len);
Addr sockaddr_to_addr(const sockaddr *sa);

std::string hex(const uint8_t *p, size_t n);
// Milliseconds on the caller's clock to ngtcp2 timestamps (nanoseconds); 0 for ms <= 0.
uint64_t ms_to_ts(double ms);

}  // namespace gq
