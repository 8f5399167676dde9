// Packets out: every datagram ngtcp2 will send now (stream data from the send
// buffers, acknowledgements, probes), and CONNECTION_CLOSE.
#include "conn.h"

namespace gq {

namespace {

constexpr size_t kMaxPktsPerFlush = 256;

}  // namespace

Datagram datagram_of(const uint8_t *buf, size_t n, const ngtcp2_path &path) {
  Datagram d;
  d.data.assign(buf, buf + n);
  d.local = sockaddr_to_addr(path.local.addr);
  d.remote = sockaddr_to_addr(path.remote.addr);
  return d;
}

int Conn::fail(int rv) {
  last_err_ = rv;
  ngtcp2_connection_close_error_set_transport_error_liberr(&last_ccerr_, rv, nullptr, 0);
  ccerr_set_ = true;
  return ST_ERROR;
}

int Conn::flush(double now_ms, std::vector<Datagram> *out) {
  uint64_t ts = ms_to_ts(now_ms);
  update_outage(ts);
  for (auto &kv : streams_) kv.second.blocked = false;
  uint8_t buf[kPacketBufSize];
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi;
  for (size_t npkts = 0; npkts < kMaxPktsPerFlush;) {
    Stream *s = next_sendable();
    int64_t sid = -1;
    uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
    ngtcp2_vec vec[16];
    size_t nvec = 0;
    if (s) {
      sid = s->id;
      for (auto &c : s->chunks) {
        uint64_t end = c.offset + c.bytes.size();
        if (end <= s->written) continue;
        uint64_t skip = s->written > c.offset ? s->written - c.offset : 0;
        vec[nvec].base = c.bytes.data() + skip;
        vec[nvec].len = c.bytes.size() - skip;
        if (++nvec == 16) break;
      }
      bool all = nvec == 0 || s->chunks.back().offset + s->chunks.back().bytes.size() == s->total;
      bool covers_end = true;
      if (nvec == 16) covers_end = (vec[15].base + vec[15].len == s->chunks.back().bytes.data() + s->chunks.back().bytes.size());
      if (s->fin_queued && all && covers_end) flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
    }
    ngtcp2_ssize ndatalen = -1;
    ngtcp2_ssize n = ngtcp2_conn_writev_stream(conn_, &ps.path, &pi, buf, sizeof(buf), &ndatalen, flags, sid,
                                               nvec ? vec : nullptr, nvec, ts);
    if (n < 0) {
      switch (n) {
        case NGTCP2_ERR_STREAM_DATA_BLOCKED:
          if (s) s->blocked = true;
          continue;
        case NGTCP2_ERR_STREAM_SHUT_WR:
        case NGTCP2_ERR_STREAM_NOT_FOUND:
          if (s) s->write_closed = true;
          continue;
        case NGTCP2_ERR_WRITE_MORE:
          if (s && ndatalen >= 0) {
            s->written += (uint64_t)ndatalen;
            if ((flags & NGTCP2_WRITE_STREAM_FLAG_FIN) && s->written == s->total) s->fin_written = true;
          }
          continue;
        default:
          return fail((int)n);
      }
    }
    if (s && ndatalen >= 0) {
      s->written += (uint64_t)ndatalen;
      if ((flags & NGTCP2_WRITE_STREAM_FLAG_FIN) && s->written == s->total) s->fin_written = true;
    }
    if (n == 0) break;
    bytes_sent_ += (uint64_t)n;
    out->push_back(datagram_of(buf, (size_t)n, ps.path));
    ++npkts;
  }
  ngtcp2_conn_update_pkt_tx_time(conn_, ts);
  return ST_OK;
}

bool Conn::write_ccerr(const ngtcp2_connection_close_error &ccerr, double now_ms, Datagram *out) {
  if (ngtcp2_conn_is_in_closing_period(conn_) || ngtcp2_conn_is_in_draining_period(conn_)) return false;
  uint8_t buf[kPacketBufSize];
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi;
  ngtcp2_ssize n = ngtcp2_conn_write_connection_close(conn_, &ps.path, &pi, buf, sizeof(buf), &ccerr, ms_to_ts(now_ms));
  if (n <= 0) return false;
  *out = datagram_of(buf, (size_t)n, ps.path);
  return true;
}

bool Conn::write_close(uint64_t code, const std::string &reason, bool app, double now_ms, Datagram *out) {
  ngtcp2_connection_close_error ccerr;
  if (app)
    ngtcp2_connection_close_error_set_application_error(&ccerr, code, (const uint8_t *)reason.data(), reason.size());
  else
    ngtcp2_connection_close_error_set_transport_error(&ccerr, code, (const uint8_t *)reason.data(), reason.size());
  return write_ccerr(ccerr, now_ms, out);
}

bool Conn::write_close_after_error(double now_ms, Datagram *out) {
  return ccerr_set_ && write_ccerr(last_ccerr_, now_ms, out);
}

}  // namespace gq
