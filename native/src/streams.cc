// Stream send buffers: data queued per stream and kept until acknowledged, the
// round-robin choice of the next stream to send from, and the stream operations.
#include "conn.h"

namespace gq {

Stream *Conn::stream(int64_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : &it->second;
}

void Conn::on_acked(int64_t id, uint64_t offset, uint64_t len) {
  Stream *s = stream(id);
  if (!s) return;
  if (offset + len > s->acked) s->acked = offset + len;
  while (!s->chunks.empty() && s->chunks.front().offset + s->chunks.front().bytes.size() <= s->acked)
    s->chunks.pop_front();
  Event ev{EV_ACKED};
  ev.stream_id = id;
  push(std::move(ev));
}

void Conn::on_stream_close(int64_t id, bool has_code, uint64_t code) {
  streams_.erase(id);
  Event ev{EV_STREAM_CLOSE};
  ev.stream_id = id;
  ev.flag = has_code;
  ev.code = code;
  push(std::move(ev));
}

uint64_t Conn::stream_unacked(int64_t id) const {
  auto it = streams_.find(id);
  return it == streams_.end() ? 0 : it->second.total - it->second.acked;
}

Stream *Conn::next_sendable() {
  if (outage_ || streams_.empty()) return nullptr;
  auto it = streams_.upper_bound(rr_last_);
  for (size_t i = 0; i < streams_.size(); ++i, ++it) {
    if (it == streams_.end()) it = streams_.begin();
    Stream &s = it->second;
    if (s.write_closed || s.blocked) continue;
    if (s.written < s.total || (s.fin_queued && !s.fin_written)) {
      rr_last_ = s.id;
      return &s;
    }
  }
  return nullptr;
}

int64_t Conn::open_stream(bool bidi) {
  int64_t id;
  int rv = bidi ? ngtcp2_conn_open_bidi_stream(conn_, &id, nullptr) : ngtcp2_conn_open_uni_stream(conn_, &id, nullptr);
  if (rv != 0) return ST_BLOCKED;
  Stream &s = streams_[id];
  s.id = id;
  return id;
}

int64_t Conn::write(int64_t id, const uint8_t *data, size_t len, bool fin) {
  Stream *s = stream(id);
  if (!s) {
    // A peer-opened bidi stream we have not written on yet.
    if (ngtcp2_conn_is_local_stream(conn_, id) || !ngtcp2_is_bidi_stream(id)) return ST_CLOSED;
    Stream &ns = streams_[id];
    ns.id = id;
    s = &ns;
  }
  if (s->write_closed || s->fin_queued) return ST_CLOSED;
  if (len) {
    s->chunks.push_back(SendChunk{s->total, std::vector<uint8_t>(data, data + len)});
    s->total += len;
  }
  if (fin) s->fin_queued = true;
  return (int64_t)(s->total - s->acked);
}

int Conn::shutdown_stream(int64_t id, uint64_t code) {
  if (Stream *s = stream(id)) s->write_closed = true;
  int rv = ngtcp2_conn_shutdown_stream(conn_, id, code);  // 0 also for a stream it does not know
  return rv == 0 ? ST_OK : fail(rv);
}

void Conn::consumed(int64_t id, uint64_t n) {
  ngtcp2_conn_extend_max_stream_offset(conn_, id, n);
  ngtcp2_conn_extend_max_offset(conn_, n);
}

}  // namespace gq
