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
  // The whole answer: by then the server has accepted the connection.
  const std::string got = probe_http_get(client, "/v1/models", "\"data\"");
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
