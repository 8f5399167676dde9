// A client and a server gq::Conn exchanging datagrams in memory under a fake clock,
// for the native test programs (conn_test.cc, flood_test.cc).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "conn.h"

namespace gq_test {

using namespace gq;

inline std::string slurp(const char *path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error(std::string("cannot read ") + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

#define CHECK(cond)                                                  \
  do {                                                               \
    if (!(cond)) {                                                   \
      fprintf(stderr, "FAILED at line %d: %s\n", __LINE__, #cond);   \
      exit(1);                                                       \
    }                                                                \
  } while (0)

struct Pair {
  std::unique_ptr<Conn> client, server;
  Addr client_addr{"127.0.0.1", 40000};
  Addr server_addr{"127.0.0.1", 4433};
  ConnConfig scfg;
  double now = 1000;
  uint64_t server_bytes = 0;
  bool server_fin = false, server_draining = false, client_confirmed = false;
  std::string echo;
  std::vector<std::vector<uint8_t>> captured;
  int paths = 0;

  void deliver_to_server(std::vector<Datagram> &ds) {
    for (auto &d : ds) {
      if (captured.size() < 64) captured.push_back(d.data);
      if (!server) server.reset(new Conn(scfg, d.data.data(), d.data.size(), (uint64_t)now));
      int st = server->recv(d.data.data(), d.data.size(), server_addr, client_addr, now);
      if (st == ST_DRAINING) server_draining = true;
      else CHECK(st == ST_OK);
    }
  }

  void step() {
    now += 1;
    std::vector<Datagram> out;
    CHECK(client->flush(now, &out) == ST_OK);
    deliver_to_server(out);
    if (server && !server_draining) {
      std::vector<Datagram> back;
      CHECK(server->flush(now, &back) == ST_OK);
      for (auto &d : back) CHECK(client->recv(d.data.data(), d.data.size(), client_addr, server_addr, now) == ST_OK);
      for (auto &e : server->drain()) {
        if (e.type == EV_STREAM_DATA) {
          server_bytes += e.data.size();
          server->consumed(e.stream_id, e.data.size());
          if (e.stream_id % 4 == 0) {  // bidi: echo back
            CHECK(server->write(e.stream_id, e.data.data(), e.data.size(), e.flag) >= 0);
          } else if (e.flag) {
            server_fin = true;
          }
        }
        if (e.type == EV_PATH) ++paths;
      }
    }
    for (auto &e : client->drain()) {
      if (e.type == EV_CONFIRMED) client_confirmed = true;
      if (e.type == EV_STREAM_DATA) {
        echo.append(e.data.begin(), e.data.end());
        client->consumed(e.stream_id, e.data.size());
      }
    }
    if (client->expiry_ms() >= 0 && client->expiry_ms() <= now) client->handle_expiry(now);
    if (server && !server_draining && server->expiry_ms() >= 0 && server->expiry_ms() <= now) server->handle_expiry(now);
  }
};

// Client and server settings from the PEM files on the command line
// (CA.pem SERVER.pem SERVER.key DEVICE.pem DEVICE.key); sets p.scfg, returns the client's.
inline ConnConfig configure(Pair &p, char **argv) {
  ConnConfig ccfg;
  ccfg.tls.ca = slurp(argv[1]);
  ccfg.tls.cert = slurp(argv[4]);
  ccfg.tls.key = slurp(argv[5]);
  ccfg.tls.alpn = {"geostream/1.0"};
  ccfg.tls.server_name = "localhost";
  ccfg.local = p.client_addr;
  ccfg.remote = p.server_addr;
  p.scfg = ccfg;
  p.scfg.server = true;
  p.scfg.tls.cert = slurp(argv[2]);
  p.scfg.tls.key = slurp(argv[3]);
  p.scfg.local = p.server_addr;
  p.scfg.remote = p.client_addr;
  return ccfg;
}

}  // namespace gq_test
