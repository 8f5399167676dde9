// Small value helpers of the core: addresses, hex, time, the owned descriptor.
#include "util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstring>

#include "owned.h"

namespace gq {

std::string hex(const uint8_t *p, size_t n) {
  static const char d[] = "0123456789abcdef";
  std::string s;
  s.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    s.push_back(d[p[i] >> 4]);
    s.push_back(d[p[i] & 15]);
  }
  return s;
}

uint64_t ms_to_ts(double ms) { return ms <= 0 ? 0 : (uint64_t)(ms * 1e6); }

bool addr_to_sockaddr(const Addr &a, sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof(*ss));
  auto *v4 = reinterpret_cast<sockaddr_in *>(ss);
  if (inet_pton(AF_INET, a.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(a.port);
    *len = sizeof(sockaddr_in);
    return true;
  }
  auto *v6 = reinterpret_cast<sockaddr_in6 *>(ss);
  if (inet_pton(AF_INET6, a.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(a.port);
    *len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

Addr sockaddr_to_addr(const sockaddr *sa) {
  Addr a;
  char buf[INET6_ADDRSTRLEN] = {0};
  if (sa->sa_family == AF_INET) {
    auto *v4 = reinterpret_cast<const sockaddr_in *>(sa);
    inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof(buf));
    a.port = ntohs(v4->sin_port);
  } else if (sa->sa_family == AF_INET6) {
    auto *v6 = reinterpret_cast<const sockaddr_in6 *>(sa);
    inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof(buf));
    a.port = ntohs(v6->sin6_port);
  }
  a.host = buf;
  return a;
}

OwnedFd::~OwnedFd() {
  if (fd >= 0) close(fd);
}

}  // namespace gq
