// A connection's setup (settings, transport parameters, TLS, the ngtcp2 connection),
// receiving packets, and what it tells about itself.
#include "conn.h"

#include <fcntl.h>
#include <gnutls/crypto.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "callbacks.h"

namespace gq {

Conn::Conn(const ConnConfig &cfg, const uint8_t *pkt, size_t pktlen, uint64_t now_ms)
    : cfg_(cfg) {
  // Server: nothing is allocated for a peer whose first datagram is not an acceptable
  // Initial (ngtcp2's example server does the same).
  ngtcp2_pkt_hd hd;
  if (cfg.server) {
    int rv = accept_initial(pkt, pktlen, &hd);
    if (rv != 0) throw std::runtime_error(std::string("not an acceptable Initial: ") + ngtcp2_strerror(rv));
  }
  socklen_t llen, rlen;
  if (!addr_to_sockaddr(cfg.local, &local_ss_, &llen))
    throw std::runtime_error("bad local address " + cfg.local.host);
  if (!addr_to_sockaddr(cfg.remote, &remote_ss_, &rlen))
    throw std::runtime_error("bad remote address " + cfg.remote.host);
  ngtcp2_path path = {{(sockaddr *)&local_ss_, llen}, {(sockaddr *)&remote_ss_, rlen}, nullptr};
  last_remote_ = cfg.remote;
  last_local_ = cfg.local;

  ngtcp2_callbacks cb;
  set_callbacks(&cb, cfg.server);

  ngtcp2_settings settings;
  ngtcp2_settings_default(&settings);
  settings.initial_ts = ms_to_ts((double)now_ms);
  settings.handshake_timeout = cfg.handshake_timeout_ms * NGTCP2_MILLISECONDS;
  settings.max_window = 16 * 1024 * 1024;
  settings.max_stream_window = 8 * 1024 * 1024;
  if (getenv("GEOSTREAM_NGTCP2_DEBUG")) settings.log_printf = debug_printf;

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
    qlog_.fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (qlog_.fd < 0) return;
    settings.qlog.odcid = odcid;
    settings.qlog.write = qlog_write;
  };
  if (cfg.server) {
    const ngtcp2_cid &odcid = cfg.retried ? cfg.original_dcid : hd.dcid;
    open_qlog(odcid);
    params.original_dcid = odcid;
    if (cfg.retried) {
      params.retry_scid = hd.dcid;
      params.retry_scid_present = 1;
      // ngtcp2 copies it, and checks that every later Initial carries the same token.
      settings.token = {const_cast<uint8_t *>(hd.token.base), hd.token.len};
    }
    params.stateless_reset_token_present = 1;
    if (!token_for(scid.data, scid.datalen, params.stateless_reset_token))
      throw std::runtime_error("stateless reset token failed");
    odcid_hex_ = hex(odcid.data, odcid.datalen);
    rv = ngtcp2_conn_server_new(conn_.out(), &hd.scid, &scid, &path, hd.version, &cb, &settings, &params,
                                nullptr, this);
  } else {
    ngtcp2_cid dcid;
    dcid.datalen = 18;
    if (gnutls_rnd(GNUTLS_RND_RANDOM, dcid.data, dcid.datalen) != 0)
      throw std::runtime_error("gnutls_rnd failed");
    odcid_hex_ = hex(dcid.data, dcid.datalen);
    open_qlog(dcid);
    rv = ngtcp2_conn_client_new(conn_.out(), &dcid, &scid, &path, NGTCP2_PROTO_VER_V1, &cb, &settings,
                                &params, nullptr, this);
  }
  if (rv != 0) throw std::runtime_error(std::string("ngtcp2 connection: ") + ngtcp2_strerror(rv));
  ngtcp2_conn_set_tls_native_handle(conn_, session_);
  if (cfg.keep_alive_ms) ngtcp2_conn_set_keep_alive_timeout(conn_, cfg.keep_alive_ms * NGTCP2_MILLISECONDS);
  last_rx_ts_ = settings.initial_ts;
  ngtcp2_connection_close_error_default(&last_ccerr_);
}

// Members free themselves (owned.h), in the reverse order of their declaration.
Conn::~Conn() = default;

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
      return fail(rv);
  }
}

int Conn::tls_alert() const { return ngtcp2_conn_get_tls_alert(conn_); }

void Conn::close_error(uint64_t *code, std::string *reason, int *type) const {
  ngtcp2_connection_close_error cc;
  ngtcp2_conn_get_connection_close_error(conn_, &cc);
  *code = cc.error_code;
  *type = (int)cc.type;
  reason->assign((const char *)cc.reason, cc.reason ? cc.reasonlen : 0);
}

void Conn::on_handshake_completed() { push(Event{EV_HANDSHAKE}); }

bool Conn::handshake_done() const { return ngtcp2_conn_get_handshake_completed(conn_) != 0; }

std::vector<Event> Conn::drain() {
  std::vector<Event> out;
  out.swap(events_);
  return out;
}

ngtcp2_conn_stat Conn::stat() const {
  ngtcp2_conn_stat cs;
  ngtcp2_conn_get_conn_stat(conn_, &cs);
  return cs;
}

}  // namespace gq
