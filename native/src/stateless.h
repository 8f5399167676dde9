// What the server does with a datagram before (or without) any connection: the
// Initial check of the accept path and Stateless Resets (RFC 9000 10.3).
#pragma once

#include <ngtcp2/ngtcp2.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gq {

// The first datagram of a would-be connection, checked as ngtcp2_accept does before
// anything is allocated for its sender: 0 and the decoded header (hd may be null),
// or an ngtcp2 error code (not an Initial, shorter than 1200 bytes, bad header).
int accept_initial(const uint8_t *pkt, size_t pktlen, ngtcp2_pkt_hd *hd);

// The stateless reset token reset_key gives connection ID cid (false: no key, or HMAC failed).
bool reset_token(const std::vector<uint8_t> &reset_key, const uint8_t *cid, size_t cidlen, uint8_t *token);

// A Stateless Reset answering pkt (a short-header packet for connection ID dcid we do
// not know): smaller than pkt so two endpoints cannot loop, at least the 21 bytes RFC
// 9000 10.3 asks, at most 43, random-padded to look like any short-header packet.
// Empty when pkt is too short to answer with a smaller packet (<= 21 bytes) or there
// is no key.
std::vector<uint8_t> stateless_reset(const std::vector<uint8_t> &reset_key, const uint8_t *pkt, size_t pktlen, size_t dcidlen);

}  // namespace gq
