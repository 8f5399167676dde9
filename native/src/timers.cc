// Time: the connection's next expiry, its handling, keep-alive, and the outage mode
// (a PING every outage_probe_ms while the peer is silent with data in flight).
#include "conn.h"

namespace gq {

void Conn::update_outage(uint64_t ts) {
  ngtcp2_conn_stat cs;
  ngtcp2_conn_get_conn_stat(conn_, &cs);
  bool silent = ts > last_rx_ts_ + cfg_.outage_after_ms * NGTCP2_MILLISECONDS;
  bool outage = handshake_done() && silent && cs.bytes_in_flight > 0;
  if (outage == outage_) return;
  outage_ = outage;
  uint64_t ka = outage ? cfg_.outage_probe_ms : cfg_.keep_alive_ms;
  ngtcp2_conn_set_keep_alive_timeout(conn_, ka * NGTCP2_MILLISECONDS);
}

double Conn::expiry_ms() const {
  ngtcp2_tstamp t = ngtcp2_conn_get_expiry(conn_);
  if (t == UINT64_MAX) return -1;
  double ms = (double)t / 1e6;
  // Outage detection is ours: wake up when the peer has been silent long enough with
  // data in flight. With nothing in flight there is nothing to detect (update_outage
  // would not enter outage mode), and that deadline, already past on an idle link,
  // would wake the connection on every turn of the event loop.
  if (!outage_ && handshake_done()) {
    ngtcp2_conn_stat cs;
    ngtcp2_conn_get_conn_stat(conn_, &cs);
    if (cs.bytes_in_flight > 0) {
      double o = (double)(last_rx_ts_ + cfg_.outage_after_ms * NGTCP2_MILLISECONDS) / 1e6;
      if (o < ms) ms = o;
    }
  }
  return ms;
}

int Conn::handle_expiry(double now_ms) {
  uint64_t ts = ms_to_ts(now_ms);
  update_outage(ts);
  int rv = ngtcp2_conn_handle_expiry(conn_, ts);
  if (rv == 0) return ST_OK;
  last_err_ = rv;
  if (rv == NGTCP2_ERR_IDLE_CLOSE) return ST_IDLE;
  if (rv == NGTCP2_ERR_HANDSHAKE_TIMEOUT) return ST_HS_TIMEOUT;
  return fail(rv);
}

void Conn::set_keep_alive(uint64_t ms) {
  cfg_.keep_alive_ms = ms;
  if (!outage_) ngtcp2_conn_set_keep_alive_timeout(conn_, ms * NGTCP2_MILLISECONDS);
}

}  // namespace gq
