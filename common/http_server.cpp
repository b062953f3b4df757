// http_server_bind: socket options through httplib's pre-bind hook, then listen() again for the
// backlog httplib does not let us set.
#include "common/http_server.h"

#include <dirent.h>
#include <httplib.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "common/error.h"

namespace moebench {
namespace {

// A socket's local (or, with peer, remote) address and port as httplib writes them into a
// Request (getnameinfo with a numeric host); false for anything but a connected IP socket.
bool socket_address(int fd, bool peer, std::string* host, int* port) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  auto* addr = reinterpret_cast<sockaddr*>(&a);
  if ((peer ? ::getpeername(fd, addr, &len) : ::getsockname(fd, addr, &len)) != 0) return false;
  if (a.ss_family == AF_INET) {
    *port = ntohs(reinterpret_cast<const sockaddr_in*>(&a)->sin_port);
  } else if (a.ss_family == AF_INET6) {
    *port = ntohs(reinterpret_cast<const sockaddr_in6*>(&a)->sin6_port);
  } else {
    return false;
  }
  char name[NI_MAXHOST];
  if (::getnameinfo(addr, len, name, sizeof name, nullptr, 0, NI_NUMERICHOST) != 0) return false;
  *host = name;
  return true;
}

}  // namespace

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

int http_request_socket(const httplib::Request& req) {
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return -1;
  int found = -1;
  for (dirent* e; found < 0 && (e = ::readdir(d));) {
    const int fd = std::atoi(e->d_name);
    if (e->d_name[0] == '.' || fd == ::dirfd(d)) continue;
    std::string host;
    int port = -1;
    if (!socket_address(fd, false, &host, &port) || port != req.local_port ||
        host != req.local_addr) {
      continue;
    }
    if (socket_address(fd, true, &host, &port) && port == req.remote_port &&
        host == req.remote_addr) {
      found = fd;
    }
  }
  ::closedir(d);
  return found;
}

bool http_peer_gone(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) return false;  // nothing to read: still connected
  if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) return true;
  char c;
  const ssize_t n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

}  // namespace moebench
