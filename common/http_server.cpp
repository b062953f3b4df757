// http_server_bind: socket options through httplib's pre-bind hook, then listen() again for the
// backlog httplib does not let us set.
#include "common/http_server.h"

#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "common/error.h"

namespace moebench {

int http_server_bind(httplib::Server& server, const std::string& host, int port,
                     const std::string& who) {
  const std::string where = who + ": cannot bind " + host + ":" + std::to_string(port);
  if (port < 0 || port > 65535) throw input_error(where, "the port must be in 0..65535");
  // The hook runs once per address tried; the last socket it saw is the one that bound.
  auto listener = std::make_shared<int>(-1);
  server.set_tcp_nodelay(true);
  server.set_socket_options([listener](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    *listener = sock;
  });
  const int bound =
      port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    throw InputError(where +
                     " (the port is in use, or the host is not an address of this machine)");
  }
  // NOTE: Linux applies a second listen() on a listening socket as a new backlog.
  if (::listen(*listener, kHttpListenBacklog) != 0) {
    throw input_error(where, std::string("listen: ") + std::strerror(errno));
  }
  return bound;
}

}  // namespace moebench
