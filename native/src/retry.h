// Address validation by Retry (RFC 9000 8.1.2) on the server's accept path, stateless:
// the Retry answering an Initial without a token, the check of the token a client
// brings back in its next Initial, and the INVALID_TOKEN close for one that does not
// verify. The token (ngtcp2's Retry token, AEAD-sealed under a listener's secret) binds
// the client's address and port, the Retry's connection ID, the original destination
// connection ID and the time it was made. Nothing here allocates: callers pass the
// buffers, so a flood of Initials costs no memory.
#pragma once

#include <ngtcp2/ngtcp2.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "util.h"

namespace gq {

// Room for the largest Retry or INVALID_TOKEN close these functions write (a Retry is
// about 140 bytes: header, a 78-byte token, the integrity tag).
constexpr size_t kRetryBufSize = 256;

enum class RetryToken {
  kNone,     // no token, or a token of another kind (the Initial is as if it had none)
  kValid,    // a Retry token of ours for this address and connection ID, still fresh
  kInvalid,  // a Retry token that does not verify: forged, expired, another address or ID
};

// The Retry answering pkt, an Initial that passed accept_initial, from remote, written
// into out (at least kRetryBufSize bytes): its length, or 0 when pkt does not decode or
// the token could not be made. A new random connection ID is the Retry's source.
size_t write_retry(const std::vector<uint8_t> &secret, const uint8_t *pkt, size_t pktlen, const Addr &remote,
                   uint64_t now_ts, uint8_t *out);

// Whether pkt (an Initial that passed accept_initial) from remote carries a valid Retry
// token, made at most ttl_ns before now_ts; when kValid, *odcid is the connection ID of
// the client's first Initial, which the token holds.
RetryToken check_retry_token(const std::vector<uint8_t> &secret, const uint8_t *pkt, size_t pktlen, const Addr &remote,
                             uint64_t ttl_ns, uint64_t now_ts, ngtcp2_cid *odcid);

// An Initial with CONNECTION_CLOSE INVALID_TOKEN answering pkt (RFC 9000 8.1.2), into out
// (at least kRetryBufSize bytes): its length (far less than pkt's 1200), or 0.
size_t write_invalid_token_close(const uint8_t *pkt, size_t pktlen, uint8_t *out);

}  // namespace gq
