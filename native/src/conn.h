// One QUIC connection (client or server side) over ngtcp2 + GnuTLS, sans-IO:
// fed datagrams and time, returns datagrams and events. No N-API in here so the
// core can be tested and reasoned about on its own (addon.cc is the JS glue).
#pragma once

#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <gnutls/gnutls.h>
#include <sys/socket.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gq {

struct Addr {
  std::string host;
  uint16_t port = 0;
};

bool addr_to_sockaddr(const Addr &a, sockaddr_storage *ss, socklen_t *len);
Addr sockaddr_to_addr(const sockaddr *sa);

struct TlsConfig {
  std::string cert, key, ca;
  bool verify_peer = true;
  bool require_client_cert = true;
  bool gnutls_verify = true;  // false: the caller verifies the chain (see tls.cc)
  std::vector<std::string> alpn;
  std::string server_name;  // client: name the certificate must carry
  std::string keylog_file;  // NSS key log format, appended
};

struct ConnConfig {
  bool server = false;
  TlsConfig tls;
  uint64_t idle_timeout_ms = 180000;
  uint64_t keep_alive_ms = 20000;
  uint64_t handshake_timeout_ms = 10000;
  bool disable_active_migration = false;
  // Outage handling: after this long without any packet from the peer while we
  // wait for acknowledgements, send a PING every outage_probe_ms (bounded probe
  // interval instead of ngtcp2's unbounded PTO backoff) and hold new stream data.
  uint64_t outage_after_ms = 1500;
  uint64_t outage_probe_ms = 800;
  Addr local, remote;
  std::string qlog_dir;  // write <dir>/<odcid>.sqlog (qlog JSON-SEQ) when set
  // Server: the stateless reset token of each connection ID we issue is
  // HMAC-SHA256(reset_key, cid)[0..16), so a restarted server holding the same key
  // can reset connections it no longer knows (RFC 9000 10.3). Empty: random tokens.
  std::vector<uint8_t> reset_key;
};

// The stateless reset token reset_key gives connection ID cid (false: no key, or HMAC failed).
bool reset_token(const std::vector<uint8_t> &reset_key, const uint8_t *cid, size_t cidlen, uint8_t *token);

// A Stateless Reset answering pkt (a short-header packet for connection ID dcid we do
// not know): smaller than pkt so two endpoints cannot loop, at least the 21 bytes RFC
// 9000 10.3 asks, at most 43, random-padded to look like any short-header packet.
// Empty when pkt is too short to answer with a smaller packet (<= 21 bytes) or there
// is no key.
std::vector<uint8_t> stateless_reset(const std::vector<uint8_t> &reset_key, const uint8_t *pkt, size_t pktlen, size_t dcidlen);

enum EventType {
  EV_HANDSHAKE = 1,      // handshake completed (server: client authenticated)
  EV_CONFIRMED = 2,      // handshake confirmed (client: HANDSHAKE_DONE received)
  EV_STREAM_OPEN = 3,    // peer opened stream
  EV_STREAM_DATA = 4,    // data (+fin)
  EV_STREAM_CLOSE = 5,   // stream fully closed (code if set)
  EV_STREAM_RESET = 6,   // peer reset its sending side
  EV_STOP_SENDING = 7,   // peer asked us to stop sending
  EV_STREAMS_CREDIT = 8, // we may open more streams
  EV_PATH = 9,           // validated path change: from/to remote (and local)
  EV_SCID_NEW = 10,      // server: a connection ID to route
  EV_SCID_RETIRED = 11,  // server: stop routing this connection ID
  EV_ACKED = 12,         // stream data acknowledged (for backpressure)
};

struct Event {
  explicit Event(EventType t) : type(t) {}
  EventType type;
  int64_t stream_id = -1;
  uint64_t code = 0;
  bool flag = false;  // fin / code present
  std::vector<uint8_t> data;
  Addr from, to;
  std::string text;
};

struct Datagram {
  std::vector<uint8_t> data;
  Addr local, remote;
};

struct SendChunk {
  uint64_t offset;
  std::vector<uint8_t> bytes;
};

struct Stream {
  int64_t id;
  std::deque<SendChunk> chunks;  // not yet acknowledged (ngtcp2 keeps pointers)
  uint64_t acked = 0;    // bytes acknowledged (cumulative)
  uint64_t written = 0;  // bytes handed to ngtcp2 at least once
  uint64_t total = 0;    // bytes queued
  bool fin_queued = false;
  bool fin_written = false;
  bool write_closed = false;  // reset / stop_sending / closed: nothing more goes out
  bool blocked = false;       // flow control blocked in this flush round
};

// Results of recv / expiry handling.
enum Status {
  ST_OK = 0,
  ST_DRAINING = -1,   // peer closed: see close_error()
  ST_ERROR = -2,      // local fatal error: call write_close_after_error()
  ST_IDLE = -3,       // idle timeout: gone silently
  ST_DROP = -4,       // drop silently (e.g. handshake timeout, stateless reset)
  ST_HS_TIMEOUT = -5, // handshake timeout
};

class Conn {
 public:
  // Client: dials cfg.remote from cfg.local. Server: accepts the Initial in pkt.
  // Throws std::runtime_error with a message on failure.
  Conn(const ConnConfig &cfg, const uint8_t *pkt, size_t pktlen, uint64_t now_ms);
  ~Conn();

  int recv(const uint8_t *pkt, size_t len, const Addr &local, const Addr &remote, double now_ms);
  // Produces every datagram ngtcp2 will send now. Returns ST_OK or ST_ERROR.
  int flush(double now_ms, std::vector<Datagram> *out);
  double expiry_ms() const;  // absolute, or -1 when nothing is scheduled
  int handle_expiry(double now_ms);

  int64_t open_stream(bool bidi);  // -1 when blocked by the peer's stream limit
  // Queues data (and fin). Returns unacknowledged bytes of that stream, or -1.
  int64_t write(int64_t id, const uint8_t *data, size_t len, bool fin);
  int shutdown_stream(int64_t id, uint64_t code);
  void consumed(int64_t id, uint64_t n);

  // Writes CONNECTION_CLOSE (application error when app) and returns it.
  bool write_close(uint64_t code, const std::string &reason, bool app, double now_ms, Datagram *out);
  bool write_close_after_error(double now_ms, Datagram *out);
  int migrate(const Addr &local, double now_ms);
  // Sends one full-size DATAGRAM frame now (after a route change). False if not possible.
  bool pad(double now_ms, Datagram *out);
  void set_keep_alive(uint64_t ms);

  std::vector<Event> drain();
  std::vector<std::vector<uint8_t>> peer_certs() const;
  std::string alpn() const;
  std::vector<std::string> scids() const;
  const std::string &odcid_hex() const { return odcid_hex_; }
  Addr remote() const;
  Addr local() const;
  ngtcp2_conn_stat stat() const;
  uint64_t bytes_sent() const { return bytes_sent_; }
  uint64_t bytes_recv() const { return bytes_recv_; }
  uint64_t path_changes() const { return path_changes_; }
  bool handshake_done() const;
  bool in_outage() const { return outage_; }
  // The peer sent a Stateless Reset: it no longer holds this connection (restarted?).
  bool stateless_reset_received() const { return reset_received_; }
  void on_stateless_reset() { reset_received_ = true; }
  void close_error(uint64_t *code, std::string *reason, int *type) const;
  int last_liberr() const { return last_err_; }
  int tls_alert() const;
  uint64_t stream_unacked(int64_t id) const;

  // --- ngtcp2 / GnuTLS callbacks ---
  ngtcp2_conn *conn() { return conn_; }
  void push(Event &&ev) { events_.push_back(std::move(ev)); }
  Stream *stream(int64_t id);
  void on_acked(int64_t id, uint64_t offset, uint64_t len);
  void on_stream_close(int64_t id, bool has_code, uint64_t code);
  void on_path_validated(const ngtcp2_path *path, bool ok);
  void on_handshake_completed();
  void keylog(const char *label, const gnutls_datum_t *secret);
  bool is_server() const { return cfg_.server; }
  // A stateless reset token for connection ID cid: from cfg.reset_key (server) or random.
  bool token_for(const uint8_t *cid, size_t cidlen, uint8_t *token);
  void new_cid(const ngtcp2_cid *cid);
  void retired_cid(const ngtcp2_cid *cid);

 private:
  int setup_tls();
  Stream *next_sendable();
  void update_outage(uint64_t ts);

  ConnConfig cfg_;
  ngtcp2_conn *conn_ = nullptr;
  gnutls_session_t session_ = nullptr;
  gnutls_certificate_credentials_t cred_ = nullptr;
  ngtcp2_crypto_conn_ref ref_;
  std::map<int64_t, Stream> streams_;
  int64_t rr_last_ = -1;  // round-robin cursor
  std::vector<Event> events_;
  std::string odcid_hex_;
  Addr last_remote_, last_local_;
  uint64_t bytes_sent_ = 0, bytes_recv_ = 0, path_changes_ = 0;
  uint64_t last_rx_ts_ = 0;
  bool outage_ = false;
  bool reset_received_ = false;
  int last_err_ = 0;
  ngtcp2_connection_close_error last_ccerr_;
  bool ccerr_set_ = false;
  sockaddr_storage local_ss_, remote_ss_;
 public:
  int qlog_fd_ = -1;
};

std::string hex(const uint8_t *p, size_t n);
uint64_t ms_to_ts(double ms);

}  // namespace gq
