// Retry packets, Retry token checks and the INVALID_TOKEN close of the accept path.
#include "retry.h"

#include <gnutls/crypto.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <sys/socket.h>

#include "constants.h"
#include "stateless.h"

namespace gq {

namespace {

// The header of pkt and the client's address as a sockaddr; false when either is unusable.
bool decode(const uint8_t *pkt, size_t pktlen, const Addr &remote, ngtcp2_pkt_hd *hd, sockaddr_storage *ss,
            socklen_t *sslen) {
  if (accept_initial(pkt, pktlen, hd) != 0) return false;
  return addr_to_sockaddr(remote, ss, sslen);
}

}  // namespace

size_t write_retry(const std::vector<uint8_t> &secret, const uint8_t *pkt, size_t pktlen, const Addr &remote,
                   uint64_t now_ts, uint8_t *out) {
  ngtcp2_pkt_hd hd;
  sockaddr_storage ss;
  socklen_t sslen;
  if (secret.empty() || !decode(pkt, pktlen, remote, &hd, &ss, &sslen)) return 0;
  ngtcp2_cid scid;
  scid.datalen = kScidLen;
  if (gnutls_rnd(GNUTLS_RND_RANDOM, scid.data, scid.datalen) != 0) return 0;
  uint8_t token[NGTCP2_CRYPTO_MAX_RETRY_TOKENLEN];
  ngtcp2_ssize tokenlen = ngtcp2_crypto_generate_retry_token(token, secret.data(), secret.size(), hd.version,
                                                             (const ngtcp2_sockaddr *)&ss, sslen, &scid, &hd.dcid, now_ts);
  if (tokenlen < 0) return 0;
  ngtcp2_ssize n = ngtcp2_crypto_write_retry(out, kRetryBufSize, hd.version, &hd.scid, &scid, &hd.dcid, token, (size_t)tokenlen);
  return n < 0 ? 0 : (size_t)n;
}

RetryToken check_retry_token(const std::vector<uint8_t> &secret, const uint8_t *pkt, size_t pktlen, const Addr &remote,
                             uint64_t ttl_ns, uint64_t now_ts, ngtcp2_cid *odcid) {
  ngtcp2_pkt_hd hd;
  sockaddr_storage ss;
  socklen_t sslen;
  if (!decode(pkt, pktlen, remote, &hd, &ss, &sslen)) return RetryToken::kInvalid;
  if (hd.token.len == 0 || hd.token.base[0] != NGTCP2_CRYPTO_TOKEN_MAGIC_RETRY) return RetryToken::kNone;
  if (secret.empty()) return RetryToken::kInvalid;
  int rv = ngtcp2_crypto_verify_retry_token(odcid, hd.token.base, hd.token.len, secret.data(), secret.size(), hd.version,
                                            (const ngtcp2_sockaddr *)&ss, sslen, &hd.dcid, ttl_ns, now_ts);
  // The first Initial's connection ID passed accept_initial: at least 8 bytes.
  if (rv != 0 || odcid->datalen < NGTCP2_MIN_INITIAL_DCIDLEN) return RetryToken::kInvalid;
  return RetryToken::kValid;
}

size_t write_invalid_token_close(const uint8_t *pkt, size_t pktlen, uint8_t *out) {
  ngtcp2_pkt_hd hd;
  if (accept_initial(pkt, pktlen, &hd) != 0) return 0;
  ngtcp2_ssize n = ngtcp2_crypto_write_connection_close(out, kRetryBufSize, hd.version, &hd.scid, &hd.dcid,
                                                        NGTCP2_INVALID_TOKEN, nullptr, 0);
  return n < 0 ? 0 : (size_t)n;
}

}  // namespace gq
