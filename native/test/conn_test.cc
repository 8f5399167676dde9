// The sans-IO core without Node: a client and a server gq::Conn exchange
// datagrams in memory under a fake clock. Built with AddressSanitizer,
// LeakSanitizer and UBSan by `make native-asan`; test/native/asan.test.ts runs it.
// Covers: handshake with mutual TLS (GnuTLS verification), 200 KB on a uni
// stream, an echo on a bidi stream, garbage and mutated datagrams, an active
// migration, and an application close seen by the peer.
//
// usage: conn_test CA.pem SERVER.pem SERVER.key DEVICE.pem DEVICE.key
#include <algorithm>
#include <string>
#include <vector>

#include "pair.h"

using namespace gq;
using namespace gq_test;

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s CA.pem SERVER.pem SERVER.key DEVICE.pem DEVICE.key\n", argv[0]);
    return 2;
  }
  Pair p;
  ConnConfig ccfg = configure(p, argv);
  p.client.reset(new Conn(ccfg, nullptr, 0, (uint64_t)p.now));

  for (int i = 0; i < 200 && !p.client_confirmed; ++i) p.step();
  CHECK(p.client_confirmed);
  CHECK(p.client->alpn() == "geostream/1.0");
  CHECK(p.server->peer_certs().size() == 1);

  // 200 KB on a uni stream.
  int64_t uni = p.client->open_stream(false);
  CHECK(uni >= 0);
  std::vector<uint8_t> big(200 * 1024);
  for (size_t i = 0; i < big.size(); ++i) big[i] = (uint8_t)(i * 31);
  for (size_t off = 0; off < big.size(); off += 10000)
    CHECK(p.client->write(uni, big.data() + off, std::min<size_t>(10000, big.size() - off), false) > 0);
  CHECK(p.client->write(uni, nullptr, 0, true) >= 0);
  for (int i = 0; i < 5000 && !p.server_fin; ++i) p.step();
  CHECK(p.server_fin);
  CHECK(p.server_bytes == big.size());

  // Garbage and mutated copies of real packets: ignored, the connection lives on.
  srand(7);
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> d = p.captured[(size_t)i % p.captured.size()];
    for (int k = 0; k < 1 + rand() % 6; ++k) d[(size_t)rand() % d.size()] = (uint8_t)rand();
    if (i % 5 == 0) d.resize((size_t)rand() % d.size() + 1);
    int st = p.server->recv(d.data(), d.size(), p.server_addr, p.client_addr, p.now);
    CHECK(st == ST_OK || st == ST_ERROR);
    CHECK(st == ST_OK);
  }

  // Bidi echo.
  int64_t bidi = p.client->open_stream(true);
  const std::string msg = "echo me, please";
  CHECK(p.client->write(bidi, (const uint8_t *)msg.data(), msg.size(), true) > 0);
  for (int i = 0; i < 500 && p.echo.size() < msg.size(); ++i) p.step();
  CHECK(p.echo == msg);

  // Active migration to another local port; the server validates the new path.
  for (int i = 0; i < 100; ++i) p.step();  // let NEW_CONNECTION_ID frames arrive
  p.client_addr.port = 40001;
  CHECK(p.client->migrate(p.client_addr, p.now) == 0);
  int64_t after = p.client->open_stream(false);
  const std::string m2 = "after migration";
  p.server_fin = false;
  CHECK(p.client->write(after, (const uint8_t *)m2.data(), m2.size(), true) > 0);
  for (int i = 0; i < 500 && (!p.server_fin || p.paths == 0); ++i) p.step();
  CHECK(p.server_fin);
  CHECK(p.paths == 1);
  CHECK(p.server->remote().port == 40001);

  // Application close, seen by the server with its code and reason.
  Datagram closing;
  CHECK(p.client->write_close(7, "parked", true, p.now, &closing));
  int st = p.server->recv(closing.data.data(), closing.data.size(), p.server_addr, p.client_addr, p.now);
  CHECK(st == ST_DRAINING);
  uint64_t code;
  std::string reason;
  int type;
  p.server->close_error(&code, &reason, &type);
  CHECK(code == 7 && reason == "parked" && type == 1);
  printf("ok: handshake, %zu bytes uni, echo, 2000 mutated datagrams, migration, close\n", big.size());
  return 0;
}
