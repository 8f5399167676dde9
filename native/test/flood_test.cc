// The server side of the core under a datagram flood, as the ngtcp2 engine's server
// (src/quic/ngtcp2.ts) drives it: each datagram for no connection goes through
// accept_initial() and, if it passes, builds a server Conn sharing one TlsCreds, which
// is dropped when its first packet fails; short headers get a Stateless Reset. Kinds:
// Initials under 1200 bytes, 1200-1400-byte Initials of garbage, mutated and truncated
// copies of a real client Initial, Handshakes for no connection, version-negotiation
// bait, random datagrams, and real ClientHellos never followed up (half-open, timed
// out by the clock). Then mutated and random datagrams into an established
// connection, which must still carry data. Then the same in Retry mode (retry.h, as the
// engine's server under pressure or with --quic-retry always): junk, token-less
// Initials answered with Retry, tokens forged, from another address and expired
// (refused, answered with INVALID_TOKEN), half-open handshakes that came back with a
// good token, and one full handshake through a Retry that carries data. Built with
// ASan/LSan/UBSan by `make native-asan`; any leak or memory error fails the run.
// Checks that no unvalidated sender gets more than 3x what it sent (RFC 9000 8.1).
//
// usage: flood_test CA.pem SERVER.pem SERVER.key DEVICE.pem DEVICE.key [N]
//   N tiny Initials (default 100000), N/5 of each other junk kind, N/100 half-open handshakes.
#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "pair.h"
#include "retry.h"

using namespace gq;
using namespace gq_test;

namespace {

constexpr size_t kMaxPending = 512;  // as MAX_PENDING in src/quic/ngtcp2-server.ts
constexpr uint64_t kTokenTtlMs = 5000;  // as RETRY_TOKEN_TTL_MS in src/quic/ngtcp2-retry.ts

struct Half {
  std::unique_ptr<Conn> conn;
  uint64_t in = 0, out = 0;
};

struct Server {
  ConnConfig cfg;
  std::vector<Half> pending;
  uint64_t refused = 0, built = 0, failed_first = 0, resets = 0, ctor_errors = 0;
  uint64_t bytes_in = 0, bytes_out = 0;
  double worst_ratio = 0;
  double now = 1000;
  // Retry mode: every Initial proves its address first.
  bool retry_mode = false;
  std::vector<uint8_t> secret;
  uint64_t retries = 0, tokens_ok = 0, tokens_bad = 0;
  std::vector<uint8_t> last_retry;

  // An answer of n bytes (0: none could be made) to a datagram of in bytes from an unvalidated sender.
  void answered(size_t n, size_t in) {
    CHECK(n <= 3 * in);
    worst_ratio = std::max(worst_ratio, (double)n / (double)in);
    bytes_out += n;
  }

  // Retry mode's verdict on an acceptable Initial: false when it was answered (Retry or
  // INVALID_TOKEN) and nothing is to be built; true with *c the config to build with.
  bool validated(const std::vector<uint8_t> &pkt, const Addr &from, ConnConfig *c) {
    ngtcp2_cid odcid;
    uint8_t out[kRetryBufSize];
    switch (check_retry_token(secret, pkt.data(), pkt.size(), from, kTokenTtlMs * NGTCP2_MILLISECONDS, ms_to_ts(now), &odcid)) {
      case RetryToken::kNone: {
        size_t n = write_retry(secret, pkt.data(), pkt.size(), from, ms_to_ts(now), out);
        answered(n, pkt.size());
        ++retries;
        last_retry.assign(out, out + n);
        return false;
      }
      case RetryToken::kInvalid:
        answered(write_invalid_token_close(pkt.data(), pkt.size(), out), pkt.size());
        ++tokens_bad;
        return false;
      case RetryToken::kValid:
        ++tokens_ok;
        c->retried = true;
        c->original_dcid = odcid;
        return true;
    }
    return false;
  }

  void note(const Half &h) {
    if (h.in) worst_ratio = std::max(worst_ratio, (double)h.out / (double)h.in);
    CHECK(h.out <= 3 * h.in);
  }

  void feed(const std::vector<uint8_t> &pkt) { feed(pkt, cfg.remote); }

  void feed(const std::vector<uint8_t> &pkt, const Addr &from) {
    bytes_in += pkt.size();
    if (!pkt.empty() && (pkt[0] & 0x80) == 0) {
      std::vector<uint8_t> r = stateless_reset(cfg.reset_key, pkt.data(), pkt.size(), kScidLen);
      if (!r.empty()) {
        ++resets;
        CHECK(r.size() < pkt.size());
        bytes_out += r.size();
      }
      return;
    }
    if (accept_initial(pkt.data(), pkt.size(), nullptr) != 0) {
      ++refused;
      return;
    }
    ConnConfig c = cfg;
    if (retry_mode && !validated(pkt, from, &c)) return;
    if (pending.size() >= kMaxPending) {
      ++refused;
      return;
    }
    Half h;
    try {
      h.conn.reset(new Conn(c, pkt.data(), pkt.size(), (uint64_t)now));
    } catch (const std::exception &) {
      ++ctor_errors;
      return;
    }
    ++built;
    h.in = pkt.size();
    if (h.conn->recv(pkt.data(), pkt.size(), cfg.local, cfg.remote, now) != ST_OK) {
      ++failed_first;
      return;  // dropped: h.conn freed here
    }
    std::vector<Datagram> out;
    if (h.conn->flush(now, &out) == ST_OK)
      for (auto &d : out) h.out += d.data.size();
    bytes_out += h.out;
    note(h);
    pending.push_back(std::move(h));
  }

  // Time passes beyond the handshake timeout: every half-open connection expires.
  void expire() {
    now += (double)cfg.handshake_timeout_ms + 1000;
    for (auto &h : pending) {
      int st = h.conn->handle_expiry(now);
      CHECK(st != ST_OK);
    }
    pending.clear();
  }
};

std::mt19937 rng(7);

std::vector<uint8_t> random_bytes(size_t n) {
  std::vector<uint8_t> v(n);
  for (auto &b : v) b = (uint8_t)rng();
  return v;
}

size_t between(size_t lo, size_t hi) { return lo + rng() % (hi - lo + 1); }

// A QUIC long header of `type` (0 Initial, 2 Handshake) with random connection IDs,
// then random bytes up to `total` bytes.
std::vector<uint8_t> long_header(unsigned type, size_t total, uint32_t version = 1) {
  std::vector<uint8_t> v{(uint8_t)(0xc0 | (type << 4) | (rng() & 15)), (uint8_t)(version >> 24), (uint8_t)(version >> 16),
                         (uint8_t)(version >> 8), (uint8_t)version};
  size_t dl = between(8, 20), sl = between(0, 20);
  v.push_back((uint8_t)dl);
  for (size_t i = 0; i < dl; ++i) v.push_back((uint8_t)rng());
  v.push_back((uint8_t)sl);
  for (size_t i = 0; i < sl; ++i) v.push_back((uint8_t)rng());
  while (v.size() < total) v.push_back((uint8_t)rng());
  return v;
}

// The first datagram c sends now.
std::vector<uint8_t> first_datagram(Conn &c, double now) {
  std::vector<Datagram> out;
  CHECK(c.flush(now, &out) == ST_OK && !out.empty());
  return out[0].data;
}

// The first datagram of a new client connection: a real ClientHello in a padded Initial.
std::vector<uint8_t> client_hello(const ConnConfig &ccfg, double now) {
  Conn c(ccfg, nullptr, 0, (uint64_t)now);
  return first_datagram(c, now);
}

// A client's Initial after the server's Retry: the ClientHello again, with the token.
std::vector<uint8_t> after_retry(Conn &c, Server &s, const Addr &client, const Addr &server) {
  s.feed(first_datagram(c, s.now), client);
  CHECK(!s.last_retry.empty());
  CHECK(c.recv(s.last_retry.data(), s.last_retry.size(), client, server, s.now) == ST_OK);
  s.last_retry.clear();
  return first_datagram(c, s.now);
}

// The byte offset of an Initial's token (its length a one- or two-byte varint).
size_t token_offset(const std::vector<uint8_t> &d) {
  size_t i = 5;
  i += 1 + d[i];
  i += 1 + d[i];
  return i + ((d[i] >> 6) == 1 ? 2 : 1);
}

std::vector<uint8_t> mutated(std::vector<uint8_t> d) {
  for (size_t k = 0, n = between(1, 6); k < n; ++k) d[rng() % d.size()] = (uint8_t)rng();
  if (rng() % 3 == 0) d.resize(between(1, d.size()));
  return d;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 6 && argc != 7) {
    fprintf(stderr, "usage: %s CA.pem SERVER.pem SERVER.key DEVICE.pem DEVICE.key [N]\n", argv[0]);
    return 2;
  }
  const size_t n = argc == 7 ? (size_t)atol(argv[6]) : 100000;
  Pair p;
  ConnConfig ccfg = configure(p, argv);
  p.scfg.creds = std::make_shared<const TlsCreds>(p.scfg.tls.cert, p.scfg.tls.key, p.scfg.tls.ca, true);
  p.scfg.reset_key = random_bytes(32);

  Server s;
  s.cfg = p.scfg;
  for (size_t i = 0; i < n; ++i) s.feed(long_header(0, between(1, 1199)));
  CHECK(s.built == 0);
  for (size_t i = 0; i < n / 5; ++i) s.feed(long_header(0, between(1200, 1400)));
  const std::vector<uint8_t> real = client_hello(ccfg, s.now);
  for (size_t i = 0; i < n / 5; ++i) s.feed(mutated(real));
  for (size_t i = 0; i < n / 5; ++i) s.feed(long_header(2, between(1, 1400)));
  for (size_t i = 0; i < n / 5; ++i) s.feed(long_header(0, 1200, 0x1a2a3a4a));
  for (size_t i = 0; i < n / 5; ++i) s.feed(random_bytes(between(1, 1500)));
  const size_t junk_built = s.built;
  for (size_t i = 0; i < n / 100; ++i) {
    s.feed(client_hello(ccfg, s.now));
    if (s.pending.size() == kMaxPending) s.expire();
  }
  const size_t half_open = s.built - junk_built;
  s.expire();
  CHECK(half_open > 0);

  // An established connection keeps working through mutated and random datagrams.
  p.client.reset(new Conn(ccfg, nullptr, 0, (uint64_t)p.now));
  for (int i = 0; i < 200 && !p.client_confirmed; ++i) p.step();
  CHECK(p.client_confirmed);
  for (int i = 0; i < 50; ++i) p.step();
  CHECK(!p.captured.empty());
  for (size_t i = 0; i < n / 5; ++i) {
    std::vector<uint8_t> d = i % 2 ? mutated(p.captured[i % p.captured.size()]) : random_bytes(between(1, 1500));
    int st = p.server->recv(d.data(), d.size(), p.server_addr, p.client_addr, p.now);
    CHECK(st == ST_OK);
  }
  int64_t uni = p.client->open_stream(false);
  CHECK(uni >= 0);
  const std::string msg = "still here";
  CHECK(p.client->write(uni, (const uint8_t *)msg.data(), msg.size(), true) > 0);
  for (int i = 0; i < 500 && !p.server_fin; ++i) p.step();
  CHECK(p.server_fin);

  // Retry mode: junk, then token-less ClientHellos (each answered with a Retry and
  // forgotten), then clients that follow the Retry: their tokens forged, replayed from
  // another address or too late are refused; the good ones open half-open handshakes.
  s.retry_mode = true;
  s.secret = random_bytes(32);
  const size_t built_before_retry = s.built;
  for (size_t i = 0; i < n / 5; ++i) s.feed(long_header(0, between(1, 1199)));
  for (size_t i = 0; i < n / 5; ++i) s.feed(long_header(0, between(1200, 1400)));
  for (size_t i = 0; i < n / 5; ++i) s.feed(mutated(real));
  for (size_t i = 0; i < n / 100; ++i) s.feed(client_hello(ccfg, s.now));
  CHECK(s.built == built_before_retry);
  const Addr elsewhere{"127.0.0.2", 40000};
  const uint64_t bad_before = s.tokens_bad;
  size_t followed = 0;
  for (size_t i = 0; i < n / 100; ++i) {
    Conn c(ccfg, nullptr, 0, (uint64_t)s.now);
    std::vector<uint8_t> second = after_retry(c, s, s.cfg.remote, s.cfg.local);
    std::vector<uint8_t> forged = second;
    forged[token_offset(forged) + 1 + i % 70] ^= (uint8_t)(1 + rng() % 255);
    s.feed(forged);
    s.feed(second, elsewhere);
    if (i % 10 == 0) {
      s.now += (double)kTokenTtlMs;
      s.feed(second);  // expired
    } else {
      s.feed(second);
      ++followed;
    }
    if (s.pending.size() == kMaxPending) s.expire();
  }
  CHECK(s.tokens_ok == followed);
  CHECK(s.tokens_bad - bad_before == n / 100 * 2 + (n / 100 - followed));
  CHECK(s.built - built_before_retry == followed);
  s.expire();

  // One whole connection through a Retry, carrying data.
  Pair r;
  ConnConfig rcfg = configure(r, argv);
  r.scfg.creds = p.scfg.creds;
  r.now = s.now;
  r.client.reset(new Conn(rcfg, nullptr, 0, (uint64_t)r.now));
  s.cfg = r.scfg;
  std::vector<uint8_t> second = after_retry(*r.client, s, r.client_addr, r.server_addr);
  ngtcp2_cid odcid;
  CHECK(check_retry_token(s.secret, second.data(), second.size(), r.client_addr, kTokenTtlMs * NGTCP2_MILLISECONDS,
                          ms_to_ts(s.now), &odcid) == RetryToken::kValid);
  r.scfg.retried = true;
  r.scfg.original_dcid = odcid;
  r.server.reset(new Conn(r.scfg, second.data(), second.size(), (uint64_t)r.now));
  CHECK(r.server->recv(second.data(), second.size(), r.server_addr, r.client_addr, r.now) == ST_OK);
  CHECK(r.server->odcid_hex() == hex(odcid.data, odcid.datalen));
  for (int i = 0; i < 200 && !r.client_confirmed; ++i) r.step();
  CHECK(r.client_confirmed);
  int64_t runi = r.client->open_stream(false);
  CHECK(runi >= 0);
  CHECK(r.client->write(runi, (const uint8_t *)msg.data(), msg.size(), true) > 0);
  for (int i = 0; i < 500 && !r.server_fin; ++i) r.step();
  CHECK(r.server_fin);

  printf("ok: %zu tiny Initials, %zu of each other junk kind, %zu half-open; %llu refused before any allocation, "
         "%llu connections built from junk (%llu dropped at their first packet, %llu setup errors), %llu stateless resets; "
         "%llu B in, %llu B out, worst unvalidated ratio %.2f; established connection carried data after %zu bad datagrams; "
         "Retry mode: %llu Retries, %llu tokens accepted, %llu refused, a connection through a Retry carried data\n",
         n, n / 5, half_open, (unsigned long long)s.refused, (unsigned long long)junk_built, (unsigned long long)s.failed_first,
         (unsigned long long)s.ctor_errors, (unsigned long long)s.resets, (unsigned long long)s.bytes_in,
         (unsigned long long)s.bytes_out, s.worst_ratio, n / 5, (unsigned long long)s.retries, (unsigned long long)s.tokens_ok,
         (unsigned long long)s.tokens_bad);
  return 0;
}
