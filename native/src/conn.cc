// ngtcp2 connection driving: callbacks, packet I/O, stream send buffers,
// migration and the bounded-probe outage mode.
#include "conn.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>
#include <gnutls/crypto.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace gq {

namespace {

constexpr size_t kScidLen = 16;
constexpr size_t kMaxPktsPerFlush = 256;
constexpr size_t kBufSize = 1500;

Conn *self(void *user_data) { return static_cast<Conn *>(user_data); }

void rand_cb(uint8_t *dest, size_t len, const ngtcp2_rand_ctx *) {
  (void)gnutls_rnd(GNUTLS_RND_RANDOM, dest, len);
}

int get_new_cid_cb(ngtcp2_conn *, ngtcp2_cid *cid, uint8_t *token, size_t cidlen, void *ud) {
  if (gnutls_rnd(GNUTLS_RND_RANDOM, cid->data, cidlen) != 0) return NGTCP2_ERR_CALLBACK_FAILURE;
  cid->datalen = cidlen;
  if (!self(ud)->token_for(cid->data, cidlen, token)) return NGTCP2_ERR_CALLBACK_FAILURE;
  self(ud)->new_cid(cid);
  return 0;
}

int recv_reset_cb(ngtcp2_conn *, const ngtcp2_pkt_stateless_reset *, void *ud) {
  self(ud)->on_stateless_reset();
  return 0;
}

int remove_cid_cb(ngtcp2_conn *, const ngtcp2_cid *cid, void *ud) {
  self(ud)->retired_cid(cid);
  return 0;
}

int recv_stream_data_cb(ngtcp2_conn *, uint32_t flags, int64_t id, uint64_t, const uint8_t *data,
                        size_t len, void *ud, void *) {
  Event ev{EV_STREAM_DATA};
  ev.stream_id = id;
  ev.flag = (flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0;
  ev.data.assign(data, data + len);
  self(ud)->push(std::move(ev));
  return 0;
}

int acked_cb(ngtcp2_conn *, int64_t id, uint64_t offset, uint64_t len, void *ud, void *) {
  self(ud)->on_acked(id, offset, len);
  return 0;
}

int stream_open_cb(ngtcp2_conn *, int64_t id, void *ud) {
  Event ev{EV_STREAM_OPEN};
  ev.stream_id = id;
  self(ud)->push(std::move(ev));
  return 0;
}

int stream_close_cb(ngtcp2_conn *, uint32_t flags, int64_t id, uint64_t code, void *ud, void *) {
  self(ud)->on_stream_close(id, (flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET) != 0, code);
  return 0;
}

int stream_reset_cb(ngtcp2_conn *, int64_t id, uint64_t, uint64_t code, void *ud, void *) {
  Event ev{EV_STREAM_RESET};
  ev.stream_id = id;
  ev.code = code;
  self(ud)->push(std::move(ev));
  return 0;
}

int stop_sending_cb(ngtcp2_conn *, int64_t id, uint64_t code, void *ud, void *) {
  Conn *c = self(ud);
  if (Stream *s = c->stream(id)) s->write_closed = true;
  Event ev{EV_STOP_SENDING};
  ev.stream_id = id;
  ev.code = code;
  c->push(std::move(ev));
  return 0;
}

int extend_streams_cb(ngtcp2_conn *, uint64_t, void *ud) {
  self(ud)->push(Event{EV_STREAMS_CREDIT});
  return 0;
}

int extend_stream_data_cb(ngtcp2_conn *, int64_t id, uint64_t, void *ud, void *) {
  if (Stream *s = self(ud)->stream(id)) s->blocked = false;
  return 0;
}

int handshake_completed_cb(ngtcp2_conn *, void *ud) {
  self(ud)->on_handshake_completed();
  return 0;
}

int handshake_confirmed_cb(ngtcp2_conn *, void *ud) {
  self(ud)->push(Event{EV_CONFIRMED});
  return 0;
}

int path_validation_cb(ngtcp2_conn *, uint32_t, const ngtcp2_path *path,
                       ngtcp2_path_validation_result res, void *ud) {
  self(ud)->on_path_validated(path, res == NGTCP2_PATH_VALIDATION_RESULT_SUCCESS);
  return 0;
}

void qlog_write(void *ud, uint32_t, const void *data, size_t len) {
  int fd = self(ud)->qlog_fd_;
  if (fd < 0) return;
  ssize_t n = ::write(fd, data, len);
  (void)n;
}

void log_printf(void *, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

}  // namespace

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

Conn::Conn(const ConnConfig &cfg, const uint8_t *pkt, size_t pktlen, uint64_t now_ms)
    : cfg_(cfg) {
  socklen_t llen, rlen;
  if (!addr_to_sockaddr(cfg.local, &local_ss_, &llen))
    throw std::runtime_error("bad local address " + cfg.local.host);
  if (!addr_to_sockaddr(cfg.remote, &remote_ss_, &rlen))
    throw std::runtime_error("bad remote address " + cfg.remote.host);
  ngtcp2_path path = {{(sockaddr *)&local_ss_, llen}, {(sockaddr *)&remote_ss_, rlen}, nullptr};
  last_remote_ = cfg.remote;
  last_local_ = cfg.local;

  ngtcp2_callbacks cb;
  memset(&cb, 0, sizeof(cb));
  cb.client_initial = cfg.server ? nullptr : ngtcp2_crypto_client_initial_cb;
  cb.recv_client_initial = cfg.server ? ngtcp2_crypto_recv_client_initial_cb : nullptr;
  cb.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
  cb.handshake_completed = handshake_completed_cb;
  cb.encrypt = ngtcp2_crypto_encrypt_cb;
  cb.decrypt = ngtcp2_crypto_decrypt_cb;
  cb.hp_mask = ngtcp2_crypto_hp_mask_cb;
  cb.recv_stream_data = recv_stream_data_cb;
  cb.acked_stream_data_offset = acked_cb;
  cb.stream_open = stream_open_cb;
  cb.stream_close = stream_close_cb;
  cb.recv_retry = cfg.server ? nullptr : ngtcp2_crypto_recv_retry_cb;
  cb.extend_max_local_streams_bidi = extend_streams_cb;
  cb.extend_max_local_streams_uni = extend_streams_cb;
  cb.rand = rand_cb;
  cb.get_new_connection_id = get_new_cid_cb;
  cb.remove_connection_id = remove_cid_cb;
  cb.recv_stateless_reset = recv_reset_cb;
  cb.update_key = ngtcp2_crypto_update_key_cb;
  cb.path_validation = path_validation_cb;
  cb.stream_reset = stream_reset_cb;
  cb.extend_max_stream_data = extend_stream_data_cb;
  cb.handshake_confirmed = cfg.server ? nullptr : handshake_confirmed_cb;
  cb.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
  cb.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
  cb.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
  cb.stream_stop_sending = stop_sending_cb;
  cb.version_negotiation = ngtcp2_crypto_version_negotiation_cb;

  ngtcp2_settings settings;
  ngtcp2_settings_default(&settings);
  settings.initial_ts = ms_to_ts((double)now_ms);
  settings.handshake_timeout = cfg.handshake_timeout_ms * NGTCP2_MILLISECONDS;
  settings.max_window = 16 * 1024 * 1024;
  settings.max_stream_window = 8 * 1024 * 1024;
  if (getenv("GEOSTREAM_NGTCP2_DEBUG")) settings.log_printf = log_printf;

  ngtcp2_transport_params params;
  ngtcp2_transport_params_default(&params);
  // Per-stream windows start at 256 KiB (auto-tuned up to max_stream_window as the
  // reader keeps up): a peer that stops reading holds back at most that much.
  params.initial_max_stream_data_bidi_local = 256 * 1024;
  params.initial_max_stream_data_bidi_remote = 256 * 1024;
  params.initial_max_stream_data_uni = 256 * 1024;
  params.initial_max_data = 4 * 1024 * 1024;
  params.initial_max_streams_bidi = 128;
  params.initial_max_streams_uni = 128;
  params.max_idle_timeout = cfg.idle_timeout_ms * NGTCP2_MILLISECONDS;
  params.active_connection_id_limit = 8;
  params.disable_active_migration = cfg.disable_active_migration ? 1 : 0;
  // DATAGRAM frames (RFC 9221) are accepted and ignored: the device sends one,
  // padded, right after a route change (see pad()).
  params.max_datagram_frame_size = 1200;

  ngtcp2_cid scid;
  scid.datalen = kScidLen;
  if (gnutls_rnd(GNUTLS_RND_RANDOM, scid.data, scid.datalen) != 0)
    throw std::runtime_error("gnutls_rnd failed");

  setup_tls();

  int rv;
  auto open_qlog = [&](const ngtcp2_cid &odcid) {
    if (cfg.qlog_dir.empty()) return;
    std::string path = cfg.qlog_dir + "/" + hex(odcid.data, odcid.datalen) + (cfg.server ? ".server" : ".client") + ".sqlog";
    qlog_fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (qlog_fd_ < 0) return;
    settings.qlog.odcid = odcid;
    settings.qlog.write = qlog_write;
  };
  if (cfg.server) {
    ngtcp2_pkt_hd hd;
    rv = ngtcp2_accept(&hd, pkt, pktlen);
    if (rv != 0) throw std::runtime_error(std::string("not an acceptable Initial: ") + ngtcp2_strerror(rv));
    open_qlog(hd.dcid);
    params.original_dcid = hd.dcid;
    params.stateless_reset_token_present = 1;
    if (!token_for(scid.data, scid.datalen, params.stateless_reset_token))
      throw std::runtime_error("stateless reset token failed");
    odcid_hex_ = hex(hd.dcid.data, hd.dcid.datalen);
    rv = ngtcp2_conn_server_new(&conn_, &hd.scid, &scid, &path, hd.version, &cb, &settings, &params,
                                nullptr, this);
  } else {
    ngtcp2_cid dcid;
    dcid.datalen = 18;
    if (gnutls_rnd(GNUTLS_RND_RANDOM, dcid.data, dcid.datalen) != 0)
      throw std::runtime_error("gnutls_rnd failed");
    odcid_hex_ = hex(dcid.data, dcid.datalen);
    open_qlog(dcid);
    rv = ngtcp2_conn_client_new(&conn_, &dcid, &scid, &path, NGTCP2_PROTO_VER_V1, &cb, &settings,
                                &params, nullptr, this);
  }
  if (rv != 0) throw std::runtime_error(std::string("ngtcp2 connection: ") + ngtcp2_strerror(rv));
  ngtcp2_conn_set_tls_native_handle(conn_, session_);
  if (cfg.keep_alive_ms) ngtcp2_conn_set_keep_alive_timeout(conn_, cfg.keep_alive_ms * NGTCP2_MILLISECONDS);
  last_rx_ts_ = settings.initial_ts;
  ngtcp2_connection_close_error_default(&last_ccerr_);
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

Conn::~Conn() {
  if (conn_) ngtcp2_conn_del(conn_);
  if (qlog_fd_ >= 0) close(qlog_fd_);
  if (session_) gnutls_deinit(session_);
  if (cred_) gnutls_certificate_free_credentials(cred_);
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

void Conn::on_handshake_completed() { push(Event{EV_HANDSHAKE}); }

bool Conn::handshake_done() const { return ngtcp2_conn_get_handshake_completed(conn_) != 0; }

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

int Conn::recv(const uint8_t *pkt, size_t len, const Addr &local, const Addr &remote, double now_ms) {
  sockaddr_storage lss, rss;
  socklen_t llen, rlen;
  if (len == 0 || !addr_to_sockaddr(local, &lss, &llen) || !addr_to_sockaddr(remote, &rss, &rlen)) return ST_OK;
  ngtcp2_path path = {{(sockaddr *)&lss, llen}, {(sockaddr *)&rss, rlen}, nullptr};
  ngtcp2_pkt_info pi = {0};
  uint64_t ts = ms_to_ts(now_ms);
  int rv = ngtcp2_conn_read_pkt(conn_, &path, &pi, pkt, len, ts);
  if (rv == 0) {
    bytes_recv_ += len;
    last_rx_ts_ = ts;
    update_outage(ts);
    return ST_OK;
  }
  last_err_ = rv;
  switch (rv) {
    case NGTCP2_ERR_DRAINING:
      return ST_DRAINING;
    case NGTCP2_ERR_DROP_CONN:
      return ST_DROP;
    case NGTCP2_ERR_CRYPTO:
      ngtcp2_connection_close_error_set_transport_error_tls_alert(&last_ccerr_, ngtcp2_conn_get_tls_alert(conn_),
                                                                  nullptr, 0);
      ccerr_set_ = true;
      return ST_ERROR;
    default:
      if (!ngtcp2_err_is_fatal(rv) && rv != NGTCP2_ERR_CALLBACK_FAILURE) {
        // e.g. a mutated or garbage datagram that failed decryption: ignore it.
        if (rv == NGTCP2_ERR_DISCARD_PKT) return ST_OK;
      }
      ngtcp2_connection_close_error_set_transport_error_liberr(&last_ccerr_, rv, nullptr, 0);
      ccerr_set_ = true;
      return ST_ERROR;
  }
}

int Conn::tls_alert() const { return ngtcp2_conn_get_tls_alert(conn_); }

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

int Conn::flush(double now_ms, std::vector<Datagram> *out) {
  uint64_t ts = ms_to_ts(now_ms);
  update_outage(ts);
  for (auto &kv : streams_) kv.second.blocked = false;
  uint8_t buf[kBufSize];
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
          last_err_ = (int)n;
          ngtcp2_connection_close_error_set_transport_error_liberr(&last_ccerr_, (int)n, nullptr, 0);
          ccerr_set_ = true;
          return ST_ERROR;
      }
    }
    if (s && ndatalen >= 0) {
      s->written += (uint64_t)ndatalen;
      if ((flags & NGTCP2_WRITE_STREAM_FLAG_FIN) && s->written == s->total) s->fin_written = true;
    }
    if (n == 0) break;
    Datagram d;
    d.data.assign(buf, buf + n);
    d.local = sockaddr_to_addr(ps.path.local.addr);
    d.remote = sockaddr_to_addr(ps.path.remote.addr);
    bytes_sent_ += (uint64_t)n;
    out->push_back(std::move(d));
    ++npkts;
  }
  ngtcp2_conn_update_pkt_tx_time(conn_, ts);
  return ST_OK;
}

double Conn::expiry_ms() const {
  ngtcp2_tstamp t = ngtcp2_conn_get_expiry(conn_);
  if (t == UINT64_MAX) return -1;
  double ms = (double)t / 1e6;
  // Outage detection is ours: wake up when the peer has been silent long enough.
  if (!outage_ && handshake_done()) {
    double o = (double)(last_rx_ts_ + cfg_.outage_after_ms * NGTCP2_MILLISECONDS) / 1e6;
    if (o < ms) ms = o;
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
  ngtcp2_connection_close_error_set_transport_error_liberr(&last_ccerr_, rv, nullptr, 0);
  ccerr_set_ = true;
  return ST_ERROR;
}

int64_t Conn::open_stream(bool bidi) {
  int64_t id;
  int rv = bidi ? ngtcp2_conn_open_bidi_stream(conn_, &id, nullptr) : ngtcp2_conn_open_uni_stream(conn_, &id, nullptr);
  if (rv != 0) return -1;
  Stream &s = streams_[id];
  s.id = id;
  return id;
}

int64_t Conn::write(int64_t id, const uint8_t *data, size_t len, bool fin) {
  Stream *s = stream(id);
  if (!s) {
    // A peer-opened bidi stream we have not written on yet.
    if (ngtcp2_conn_is_local_stream(conn_, id) || !ngtcp2_is_bidi_stream(id)) return -1;
    Stream &ns = streams_[id];
    ns.id = id;
    s = &ns;
  }
  if (s->write_closed || s->fin_queued) return -1;
  if (len) {
    s->chunks.push_back(SendChunk{s->total, std::vector<uint8_t>(data, data + len)});
    s->total += len;
  }
  if (fin) s->fin_queued = true;
  return (int64_t)(s->total - s->acked);
}

int Conn::shutdown_stream(int64_t id, uint64_t code) {
  if (Stream *s = stream(id)) s->write_closed = true;
  return ngtcp2_conn_shutdown_stream(conn_, id, code);
}

void Conn::consumed(int64_t id, uint64_t n) {
  ngtcp2_conn_extend_max_stream_offset(conn_, id, n);
  ngtcp2_conn_extend_max_offset(conn_, n);
}

bool Conn::write_close(uint64_t code, const std::string &reason, bool app, double now_ms, Datagram *out) {
  ngtcp2_connection_close_error ccerr;
  if (app)
    ngtcp2_connection_close_error_set_application_error(&ccerr, code, (const uint8_t *)reason.data(), reason.size());
  else
    ngtcp2_connection_close_error_set_transport_error(&ccerr, code, (const uint8_t *)reason.data(), reason.size());
  if (ngtcp2_conn_is_in_closing_period(conn_) || ngtcp2_conn_is_in_draining_period(conn_)) return false;
  uint8_t buf[kBufSize];
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi;
  ngtcp2_ssize n = ngtcp2_conn_write_connection_close(conn_, &ps.path, &pi, buf, sizeof(buf), &ccerr, ms_to_ts(now_ms));
  if (n <= 0) return false;
  out->data.assign(buf, buf + n);
  out->local = sockaddr_to_addr(ps.path.local.addr);
  out->remote = sockaddr_to_addr(ps.path.remote.addr);
  return true;
}

bool Conn::write_close_after_error(double now_ms, Datagram *out) {
  if (!ccerr_set_) return false;
  if (ngtcp2_conn_is_in_closing_period(conn_) || ngtcp2_conn_is_in_draining_period(conn_)) return false;
  uint8_t buf[kBufSize];
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi;
  ngtcp2_ssize n =
      ngtcp2_conn_write_connection_close(conn_, &ps.path, &pi, buf, sizeof(buf), &last_ccerr_, ms_to_ts(now_ms));
  if (n <= 0) return false;
  out->data.assign(buf, buf + n);
  out->local = sockaddr_to_addr(ps.path.local.addr);
  out->remote = sockaddr_to_addr(ps.path.remote.addr);
  return true;
}

void Conn::close_error(uint64_t *code, std::string *reason, int *type) const {
  ngtcp2_connection_close_error cc;
  ngtcp2_conn_get_connection_close_error(conn_, &cc);
  *code = cc.error_code;
  *type = (int)cc.type;
  reason->assign((const char *)cc.reason, cc.reason ? cc.reasonlen : 0);
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
  uint8_t buf[kBufSize];
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi;
  int accepted = 0;
  ngtcp2_ssize n = ngtcp2_conn_writev_datagram(conn_, &ps.path, &pi, buf, sizeof(buf), &accepted,
                                               NGTCP2_WRITE_DATAGRAM_FLAG_NONE, 0, &v, 1, ms_to_ts(now_ms));
  if (n <= 0 || !accepted) return false;
  out->data.assign(buf, buf + n);
  out->local = sockaddr_to_addr(ps.path.local.addr);
  out->remote = sockaddr_to_addr(ps.path.remote.addr);
  bytes_sent_ += (uint64_t)n;
  return true;
}

void Conn::set_keep_alive(uint64_t ms) {
  cfg_.keep_alive_ms = ms;
  if (!outage_) ngtcp2_conn_set_keep_alive_timeout(conn_, ms * NGTCP2_MILLISECONDS);
}

std::vector<Event> Conn::drain() {
  std::vector<Event> out;
  out.swap(events_);
  return out;
}

Addr Conn::remote() const { return sockaddr_to_addr(ngtcp2_conn_get_path(conn_)->remote.addr); }
Addr Conn::local() const { return sockaddr_to_addr(ngtcp2_conn_get_path(conn_)->local.addr); }

ngtcp2_conn_stat Conn::stat() const {
  ngtcp2_conn_stat cs;
  ngtcp2_conn_get_conn_stat(conn_, &cs);
  return cs;
}

}  // namespace gq
