// The accept-path Initial check, stateless reset tokens and Stateless Resets.
#include "stateless.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <cstring>

#include "conn.h"

namespace gq {

int accept_initial(const uint8_t *pkt, size_t pktlen, ngtcp2_pkt_hd *hd) {
  ngtcp2_pkt_hd tmp;
  if (pktlen == 0) return NGTCP2_ERR_INVALID_ARGUMENT;  // ngtcp2 asserts on an empty datagram
  return ngtcp2_accept(hd ? hd : &tmp, pkt, pktlen);
}

bool reset_token(const std::vector<uint8_t> &reset_key, const uint8_t *cid, size_t cidlen, uint8_t *token) {
  if (reset_key.empty()) return false;
  uint8_t mac[32];
  if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, reset_key.data(), reset_key.size(), cid, cidlen, mac) != 0) return false;
  memcpy(token, mac, NGTCP2_STATELESS_RESET_TOKENLEN);
  return true;
}

std::vector<uint8_t> stateless_reset(const std::vector<uint8_t> &reset_key, const uint8_t *pkt, size_t pktlen, size_t dcidlen) {
  // ngtcp2 makes the first byte from rand[0] too: at least NGTCP2_MIN_STATELESS_RESET_RANDLEN
  // (5) random bytes, then the token: 21 bytes, the least RFC 9000 allows
  constexpr size_t kMin = NGTCP2_MIN_STATELESS_RESET_RANDLEN + NGTCP2_STATELESS_RESET_TOKENLEN;
  std::vector<uint8_t> out;
  if (pktlen <= kMin || pktlen < 1 + dcidlen || (pkt[0] & 0x80) != 0) return out;
  uint8_t token[NGTCP2_STATELESS_RESET_TOKENLEN];
  if (!reset_token(reset_key, pkt + 1, dcidlen, token)) return out;
  size_t total = pktlen - 1 < 43 ? pktlen - 1 : 43;  // below pkt's size; 43 looks like a small 1-RTT packet
  size_t randlen = total - NGTCP2_STATELESS_RESET_TOKENLEN;
  std::vector<uint8_t> rnd(randlen);
  if (gnutls_rnd(GNUTLS_RND_NONCE, rnd.data(), rnd.size()) != 0) return out;
  out.resize(total);
  ngtcp2_ssize n = ngtcp2_pkt_write_stateless_reset(out.data(), out.size(), token, rnd.data(), rnd.size());
  if (n < 0) out.clear();
  else out.resize((size_t)n);
  return out;
}

bool Conn::token_for(const uint8_t *cid, size_t cidlen, uint8_t *token) {
  if (cfg_.server && !cfg_.reset_key.empty()) return reset_token(cfg_.reset_key, cid, cidlen, token);
  return gnutls_rnd(GNUTLS_RND_RANDOM, token, NGTCP2_STATELESS_RESET_TOKENLEN) == 0;
}

}  // namespace gq
