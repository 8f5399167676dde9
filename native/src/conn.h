// One QUIC connection (client or server side) over ngtcp2 + GnuTLS, sans-IO:
// fed datagrams and time, returns datagrams and events. No N-API in here so the
// core can be tested and reasoned about on its own (the js_*.cc files are the JS glue).
// Its parts: conn.cc (setup, receiving, closing), callbacks.cc (ngtcp2's callbacks),
// streams.cc (send buffers), send.cc (packets out), path.cc (migration and connection
// IDs), timers.cc (expiry, keep-alive, outage mode), tls.cc (the GnuTLS session),
// stateless.cc (the reset token).
#pragma once

#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <gnutls/gnutls.h>
#include <sys/socket.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "constants.h"
#include "owned.h"
#include "stateless.h"
#include "stream.h"
#include "tls.h"
#include "util.h"

namespace gq {

struct ConnConfig {
  bool server = false;
  TlsConfig tls;
  // Parsed credentials to use (a server's, shared); null: parsed from tls for this connection.
  std::shared_ptr<const TlsCreds> creds;
  uint64_t idle_timeout_ms = kDefaultIdleTimeoutMs;
  uint64_t keep_alive_ms = kDefaultKeepAliveMs;
  uint64_t handshake_timeout_ms = kDefaultHandshakeTimeoutMs;
  bool disable_active_migration = false;
  // Outage handling: after this long without any packet from the peer while we
  // wait for acknowledgements, send a PING every outage_probe_ms (bounded probe
  // interval instead of ngtcp2's unbounded PTO backoff) and hold new stream data.
  uint64_t outage_after_ms = kDefaultOutageAfterMs;
  uint64_t outage_probe_ms = kDefaultOutageProbeMs;
  Addr local, remote;
  std::string qlog_dir;  // write <dir>/<odcid>.sqlog (qlog JSON-SEQ) when set
  // Server: the stateless reset token of each connection ID we issue is
  // HMAC-SHA256(reset_key, cid)[0..16), so a restarted server holding the same key
  // can reset connections it no longer knows (RFC 9000 10.3). Empty: random tokens.
  std::vector<uint8_t> reset_key;
  // Server, after Retry (retry.h): the Initial carries a Retry token that verified, and
  // original_dcid is the connection ID of the client's first Initial, which the token
  // held. The transport parameters then name it and the Retry's connection ID (the
  // Initial's destination), and the validated address lifts the 3x limit.
  bool retried = false;
  ngtcp2_cid original_dcid{};
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

// Room for the largest datagram a connection writes.
constexpr size_t kPacketBufSize = 1500;

// The datagram of n bytes ngtcp2 wrote into buf for path.
Datagram datagram_of(const uint8_t *buf, size_t n, const ngtcp2_path &path);

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

  int64_t open_stream(bool bidi);  // the new stream's id, or ST_BLOCKED by the peer's stream limit
  // Queues data (and fin). Returns unacknowledged bytes of that stream, or ST_CLOSED.
  int64_t write(int64_t id, const uint8_t *data, size_t len, bool fin);
  // Resets the stream (both directions) with code: ST_OK, or ST_ERROR when ngtcp2 failed.
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
  int qlog_fd() const { return qlog_.fd; }

 private:
  int setup_tls();
  Stream *next_sendable();
  void update_outage(uint64_t ts);
  // Records the ngtcp2 error rv as the cause of a close to send; returns ST_ERROR.
  int fail(int rv);
  // Writes CONNECTION_CLOSE with ccerr unless already closing or draining.
  bool write_ccerr(const ngtcp2_connection_close_error &ccerr, double now_ms, Datagram *out);

  ConnConfig cfg_;
  // Declared in the order they depend on each other: destroyed in reverse (the ngtcp2
  // connection first, the credentials last), also when the constructor throws.
  std::shared_ptr<const TlsCreds> creds_;
  Owned<gnutls_session_t, gnutls_deinit> session_;
  OwnedFd qlog_;
  Owned<ngtcp2_conn *, ngtcp2_conn_del> conn_;
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
};

}  // namespace gq
