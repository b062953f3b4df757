// Test helpers that look at TCP sockets without timing anything: a connected socket of this
// process found by its ports (/proc/self/fd), its TCP_NODELAY, a plain GET over it, and the listen
// queue of a port on this machine read through sock_diag netlink (what `ss -ltn` shows as Recv-Q /
// Send-Q).
#pragma once

#include <arpa/inet.h>
#include <dirent.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace moebench::testing {

// The local (or, with peer, the remote) IPv4 port of a socket; -1 for anything else.
inline int probe_port(int fd, bool peer) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  const int rc = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&a), &len)
                      : ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  if (rc != 0 || a.sin_family != AF_INET) return -1;
  return ntohs(a.sin_port);
}

// The fd of this process's TCP socket bound to local_port and connected to peer_port (peer_port
// -1: a socket with no peer, i.e. a listener); -1 when there is none.
inline int probe_find_socket(int local_port, int peer_port) {
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return -1;
  int found = -1;
  for (dirent* e; found < 0 && (e = ::readdir(d));) {
    const int fd = std::atoi(e->d_name);
    if (e->d_name[0] == '.' || fd == ::dirfd(d)) continue;
    if (probe_port(fd, false) == local_port && probe_port(fd, true) == peer_port) found = fd;
  }
  ::closedir(d);
  return found;
}

// TCP_NODELAY of a socket: 1 on, 0 off, -1 not a TCP socket.
inline int probe_nodelay(int fd) {
  int on = -1;
  socklen_t len = sizeof on;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &len) != 0) return -1;
  return on != 0;
}

// A blocking connection to 127.0.0.1:port (-1 when connect fails).
inline int probe_connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends GET `path` on a connected socket and reads (blocking) until `until` has arrived or the
// peer closed; returns what was read.
inline std::string probe_http_get(int fd, const std::string& path, const std::string& until) {
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) return "";
  std::string got;
  char buf[4096];
  while (got.find(until) == std::string::npos) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

struct ListenQueue {
  long backlog = -1;  // the kernel's limit for not-yet-accepted connections (Send-Q)
  long queued = -1;   // connections waiting to be accepted now (Recv-Q)
};

// The listen queue of the IPv4 TCP listener on `port`; -1s when there is none.
inline ListenQueue probe_listen_queue(int port) {
  ListenQueue q;
  const int nl = ::socket(AF_NETLINK, SOCK_DGRAM, NETLINK_SOCK_DIAG);
  if (nl < 0) return q;
  struct {
    nlmsghdr header;
    inet_diag_req_v2 body;
  } req{};
  req.header.nlmsg_len = sizeof req;
  req.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  req.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.body.sdiag_family = AF_INET;
  req.body.sdiag_protocol = IPPROTO_TCP;
  req.body.idiag_states = 1u << 10;  // TCP_LISTEN
  if (::send(nl, &req, sizeof req, 0) != static_cast<ssize_t>(sizeof req)) {
    ::close(nl);
    return q;
  }
  alignas(nlmsghdr) char buf[16384];
  for (bool done = false; !done;) {
    const ssize_t n = ::recv(nl, buf, sizeof buf, 0);
    if (n <= 0) break;
    int left = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
        done = true;
        break;
      }
      const auto* m = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
      // NOTE: for a listener the kernel reports the accept queue in rqueue and its limit
      // (sk_max_ack_backlog, the listen() backlog capped by somaxconn) in wqueue.
      if (ntohs(m->id.idiag_sport) == port)
        q = {static_cast<long>(m->idiag_wqueue), static_cast<long>(m->idiag_rqueue)};
    }
  }
  ::close(nl);
  return q;
}

// net.core.somaxconn, the kernel's cap on any listen backlog.
inline long probe_somaxconn() {
  std::ifstream in("/proc/sys/net/core/somaxconn");
  long v = -1;
  in >> v;
  return v;
}

}  // namespace moebench::testing
