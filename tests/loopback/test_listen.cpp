// How the loopback server binds (the same http_server_bind as `moebench serve`), checked on the
// sockets: TCP_NODELAY on accepted connections, the listen backlog, one server per port.
#include <unistd.h>

#include <algorithm>

#include "common/error.h"
#include "common/http_server.h"
#include "tests/catch.h"
#include "tests/loopback/loopback_test_util.h"
#include "tests/socket_probe.h"

using namespace moebench;
using namespace moebench::loopback;
using namespace moebench::loopback::testing;
using namespace moebench::testing;

TEST_CASE("accepted connections have TCP_NODELAY and the listen backlog is 4096") {
  auto server = start_server();
  const int client = probe_connect(server->port());
  REQUIRE(client >= 0);
  const std::string req = "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  REQUIRE(::write(client, req.data(), req.size()) == static_cast<ssize_t>(req.size()));
  std::string got;
  char buf[4096];
  while (got.find("\"data\"") == std::string::npos) {  // the whole answer: the server accepted
    const ssize_t n = ::read(client, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  REQUIRE(got.rfind("HTTP/1.1 200", 0) == 0);
  const int accepted = probe_find_socket(server->port(), probe_port(client, false));
  REQUIRE(accepted >= 0);
  CHECK(probe_nodelay(accepted) == 1);
  ::close(client);
  CHECK(probe_listen_queue(server->port()).backlog ==
        std::min<long>(kHttpListenBacklog, probe_somaxconn()));
}

TEST_CASE("a second server on a busy port fails to bind") {
  auto first = start_server();
  ServerOptions o;
  o.port = first->port();
  Server second(o);
  CHECK_THROWS_AS(second.start(), InputError);
}
