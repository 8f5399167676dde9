// GnuTLS session setup for one QUIC connection: TLS 1.3 only, certificate +
// key from PEM, trust from the CA PEM, peer verification (client: server name;
// server: client certificate required), mandatory ALPN, NSS key log.
#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include <cstring>
#include <stdexcept>

#include "conn.h"

namespace gq {

namespace {

const char kPriority[] =
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:"
    "+CHACHA20-POLY1305:-GROUP-ALL:+GROUP-SECP256R1:+GROUP-X25519:"
    "+GROUP-SECP384R1:%DISABLE_TLS13_COMPAT_MODE";

ngtcp2_conn *get_conn(ngtcp2_crypto_conn_ref *ref) {
  return static_cast<Conn *>(ref->user_data)->conn();
}

int keylog_cb(gnutls_session_t session, const char *label, const gnutls_datum_t *secret) {
  auto *ref = static_cast<ngtcp2_crypto_conn_ref *>(gnutls_session_get_ptr(session));
  static_cast<Conn *>(ref->user_data)->keylog(label, secret);
  return 0;
}

void check(int rv, const char *what) {
  if (rv < 0) throw std::runtime_error(std::string(what) + ": " + gnutls_strerror(rv));
}

bool is_ip_literal(const std::string &h) {
  unsigned char buf[16];
  return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

}  // namespace

void Conn::keylog(const char *label, const gnutls_datum_t *secret) {
  if (cfg_.tls.keylog_file.empty()) return;
  gnutls_datum_t crandom, srandom;
  gnutls_session_get_random(session_, &crandom, &srandom);
  std::string line = std::string(label) + " " + hex(crandom.data, crandom.size) + " " +
                     hex(secret->data, secret->size) + "\n";
  int fd = open(cfg_.tls.keylog_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return;
  ssize_t n = ::write(fd, line.data(), line.size());
  (void)n;
  close(fd);
}

TlsCreds::TlsCreds(const std::string &cert_pem, const std::string &key_pem, const std::string &ca_pem,
                   bool need_cert) {
  check(gnutls_certificate_allocate_credentials(cred_.out()), "credentials");
  if (!cert_pem.empty() || need_cert) {
    gnutls_datum_t cert = {(unsigned char *)cert_pem.data(), (unsigned)cert_pem.size()};
    gnutls_datum_t key = {(unsigned char *)key_pem.data(), (unsigned)key_pem.size()};
    check(gnutls_certificate_set_x509_key_mem2(cred_, &cert, &key, GNUTLS_X509_FMT_PEM, nullptr, 0),
          "certificate/key");
  }
  gnutls_datum_t ca = {(unsigned char *)ca_pem.data(), (unsigned)ca_pem.size()};
  int n = gnutls_certificate_set_x509_trust_mem(cred_, &ca, GNUTLS_X509_FMT_PEM);
  if (n <= 0) throw std::runtime_error("CA: no certificate found in the CA PEM");
}

int Conn::setup_tls() {
  const TlsConfig &t = cfg_.tls;
  creds_ = cfg_.creds ? cfg_.creds : std::make_shared<const TlsCreds>(t.cert, t.key, t.ca, cfg_.server);
  unsigned flags = cfg_.server ? GNUTLS_SERVER : GNUTLS_CLIENT;
  check(gnutls_init(session_.out(), flags | GNUTLS_NO_END_OF_EARLY_DATA), "gnutls_init");
  check(gnutls_priority_set_direct(session_, kPriority, nullptr), "priority");
  if (cfg_.server) {
    if (ngtcp2_crypto_gnutls_configure_server_session(session_) != 0)
      throw std::runtime_error("ngtcp2_crypto_gnutls_configure_server_session failed");
  } else {
    if (ngtcp2_crypto_gnutls_configure_client_session(session_) != 0)
      throw std::runtime_error("ngtcp2_crypto_gnutls_configure_client_session failed");
  }
  ref_.get_conn = get_conn;
  ref_.user_data = this;
  gnutls_session_set_ptr(session_, &ref_);
  check(gnutls_credentials_set(session_, GNUTLS_CRD_CERTIFICATE, creds_->get()), "credentials_set");

  std::vector<gnutls_datum_t> protos;
  for (const auto &p : t.alpn) protos.push_back({(unsigned char *)p.data(), (unsigned)p.size()});
  check(gnutls_alpn_set_protocols(session_, protos.data(), protos.size(), GNUTLS_ALPN_MANDATORY),
        "alpn");

  // Peer verification: GnuTLS checks the peer's CertificateVerify (possession of
  // the key); the chain, validity, revocation, key usage and name are checked by the
  // engine's shared verifier (src/tls/verify.ts) the moment the handshake
  // completes and before any stream data is exchanged, so both engines refuse
  // the same certificates with the same TLS alerts and messages. With verify_peer
  // and no JS verifier (this core used on its own), GnuTLS verifies the chain.
  if (cfg_.server) {
    if (t.require_client_cert) {
      gnutls_certificate_server_set_request(session_, GNUTLS_CERT_REQUEST);
      // Send no CA names: a device with a certificate from another CA should still
      // present it (and be refused as such), not silently send none.
      gnutls_certificate_send_x509_rdn_sequence(session_, 1);
      if (t.verify_peer && t.gnutls_verify) gnutls_session_set_verify_cert(session_, nullptr, 0);
    }
  } else {
    const std::string &name = t.server_name.empty() ? cfg_.remote.host : t.server_name;
    if (!is_ip_literal(name))
      gnutls_server_name_set(session_, GNUTLS_NAME_DNS, name.data(), name.size());
    if (t.verify_peer && t.gnutls_verify) gnutls_session_set_verify_cert(session_, name.c_str(), 0);
  }
  if (!t.keylog_file.empty()) gnutls_session_set_keylog_function(session_, keylog_cb);
  return 0;
}

std::string Conn::alpn() const {
  gnutls_datum_t p;
  if (!session_ || gnutls_alpn_get_selected_protocol(session_, &p) != 0) return "";
  return std::string((const char *)p.data, p.size);
}

std::vector<std::vector<uint8_t>> Conn::peer_certs() const {
  std::vector<std::vector<uint8_t>> out;
  if (!session_) return out;
  unsigned n = 0;
  const gnutls_datum_t *certs = gnutls_certificate_get_peers(session_, &n);
  for (unsigned i = 0; certs && i < n; ++i) out.emplace_back(certs[i].data, certs[i].data + certs[i].size);
  return out;
}

}  // namespace gq
