// Binding a cpp-httplib server for many clients, shared by `moebench serve` and the loopback test
// server: TCP_NODELAY, SO_REUSEADDR without SO_REUSEPORT, and a real listen backlog.
#pragma once

#include <string>

namespace httplib {
class Server;
struct Request;
}  // namespace httplib

namespace moebench {

// NOTE: httplib 0.11 listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG, compiled into the
// Debian shared library), which drops connections at 64+ clients arriving together. The kernel
// caps this at net.core.somaxconn (4096 on Linux >= 5.4).
constexpr int kHttpListenBacklog = 4096;

// Binds `server` to host:port (port 0: any free port) and returns the port bound. Sets, before
// bind: SO_REUSEADDR only (httplib's default SO_REUSEPORT lets a second server share a busy
// port); TCP_NODELAY on the listener, which accepted sockets inherit (without it every response
// after the first on a kept-alive connection waits ~40 ms for the client's delayed ACK). After
// bind, listens again with kHttpListenBacklog. InputError "<who>: cannot bind host:port ..." when
// the port is out of range, in use or the host is not an address of this machine.
int http_server_bind(httplib::Server& server, const std::string& host, int port,
                     const std::string& who);

// The socket of the connection `req` came on, found among this process's descriptors by the
// connection's two addresses (httplib 0.11 hands a handler no socket); -1 when none matches. Only
// while the handler runs: httplib closes the socket after it.
int http_request_socket(const httplib::Request& req);

// True when the peer of a connected socket closed or reset it (a read would give EOF or an
// error). Bytes waiting to be read (a pipelined request) mean the peer is still there. Never
// blocks. NOTE: a client that only shut down its sending side looks gone too.
bool http_peer_gone(int fd);

}  // namespace moebench
