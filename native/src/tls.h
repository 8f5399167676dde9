// TLS settings of a connection and the parsed credentials a server shares.
#pragma once

#include <gnutls/gnutls.h>

#include <string>
#include <vector>

#include "owned.h"

namespace gq {

struct TlsConfig {
  std::string cert, key, ca;
  bool verify_peer = true;
  bool require_client_cert = true;
  bool gnutls_verify = true;  // false: the caller verifies the chain (see tls.cc)
  std::vector<std::string> alpn;
  std::string server_name;  // client: name the certificate must carry
  std::string keylog_file;  // NSS key log format, appended
};

// Certificate, key and trust parsed once (gnutls credentials); a server shares one
// with all its connections, so a new connection parses no PEM. Immutable once built.
class TlsCreds {
 public:
  // Throws std::runtime_error naming the part that could not be loaded.
  TlsCreds(const std::string &cert, const std::string &key, const std::string &ca, bool need_cert);
  gnutls_certificate_credentials_t get() const { return cred_; }

 private:
  Owned<gnutls_certificate_credentials_t, gnutls_certificate_free_credentials> cred_;
};

}  // namespace gq
