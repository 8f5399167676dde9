// Paths and connection IDs: validated path changes, active migration, the padded
// datagram after a route change, and the connection IDs a server routes by.
#include "conn.h"

namespace gq {

void Conn::on_path_validated(const ngtcp2_path *path, bool ok) {
  if (!ok) return;
  Addr to = sockaddr_to_addr(path->remote.addr);
  Addr local = sockaddr_to_addr(path->local.addr);
  // ngtcp2 may also (re)validate the path we already use (e.g. the old path as a
  // fallback): only a move to another address is a path change.
  if (cfg_.server ? (to.host == last_remote_.host && to.port == last_remote_.port)
                  : (local.host == last_local_.host && local.port == last_local_.port))
    return;
  last_local_ = local;
  Event ev{EV_PATH};
  ev.from = last_remote_;
  ev.to = to;
  ev.text = local.host + ":" + std::to_string(local.port);
  last_remote_ = to;
  ++path_changes_;
  push(std::move(ev));
}

int Conn::migrate(const Addr &local, double now_ms) {
  sockaddr_storage lss;
  socklen_t llen;
  if (!addr_to_sockaddr(local, &lss, &llen)) return NGTCP2_ERR_INVALID_ARGUMENT;
  const ngtcp2_path *cur = ngtcp2_conn_get_path(conn_);
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_init(&ps, (sockaddr *)&lss, llen, cur->remote.addr, cur->remote.addrlen, nullptr);
  int rv = ngtcp2_conn_initiate_immediate_migration(conn_, &ps.path, ms_to_ts(now_ms));
  if (rv == 0) {
    // A new path: forget the old path's silence, probe again from scratch.
    last_rx_ts_ = ms_to_ts(now_ms);
    update_outage(last_rx_ts_);
  }
  return rv;
}

bool Conn::pad(double now_ms, Datagram *out) {
  // A route just changed: the server will see our next packets from a new address
  // and may send at most 3x what it received there until it has validated the path
  // (RFC 9000 8.1). A full-size datagram now gives it room for its PATH_CHALLENGE
  // and the acknowledgement our data is waiting for, in the first round trip.
  if (!handshake_done()) return false;
  static const uint8_t zeros[1100] = {0};
  ngtcp2_vec v = {(uint8_t *)zeros, sizeof(zeros)};
  uint8_t buf[kPacketBufSize];
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi;
  int accepted = 0;
  ngtcp2_ssize n = ngtcp2_conn_writev_datagram(conn_, &ps.path, &pi, buf, sizeof(buf), &accepted,
                                               NGTCP2_WRITE_DATAGRAM_FLAG_NONE, 0, &v, 1, ms_to_ts(now_ms));
  if (n <= 0 || !accepted) return false;
  *out = datagram_of(buf, (size_t)n, ps.path);
  bytes_sent_ += (uint64_t)n;
  return true;
}

void Conn::new_cid(const ngtcp2_cid *cid) {
  if (!cfg_.server) return;
  Event ev{EV_SCID_NEW};
  ev.text = hex(cid->data, cid->datalen);
  push(std::move(ev));
}

void Conn::retired_cid(const ngtcp2_cid *cid) {
  if (!cfg_.server) return;
  Event ev{EV_SCID_RETIRED};
  ev.text = hex(cid->data, cid->datalen);
  push(std::move(ev));
}

std::vector<std::string> Conn::scids() const {
  size_t n = ngtcp2_conn_get_num_scid(conn_);
  std::vector<ngtcp2_cid> v(n);
  ngtcp2_conn_get_scid(conn_, v.data());
  std::vector<std::string> out;
  for (auto &c : v) out.push_back(hex(c.data, c.datalen));
  return out;
}

Addr Conn::remote() const { return sockaddr_to_addr(ngtcp2_conn_get_path(conn_)->remote.addr); }
Addr Conn::local() const { return sockaddr_to_addr(ngtcp2_conn_get_path(conn_)->local.addr); }

}  // namespace gq
