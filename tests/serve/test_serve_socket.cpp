// How `moebench serve` binds and accepts (issue 14 item 6), checked on the sockets themselves and
// never by timing: TCP_NODELAY on accepted connections, the listen backlog, one server per port,
// and the CLI's errors for a busy or impossible port.
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "common/http_server.h"
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"
#include "tests/serve/in_process_serve.h"
#include "tests/serve/serve_harness.h"
#include "tests/socket_probe.h"

using namespace moebench;
using namespace moebench::testing;

namespace {

// Runs `moebench serve` with `args` and reads its output to the end, or until it says it is
// listening (then it is stopped): exit status and output.
CommandResult serve_until_listening_or_exit(const std::vector<std::string>& args) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::close(fds[0]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  FILE* out = ::fdopen(fds[0], "r");
  CommandResult r;
  char line[1024];
  while (std::fgets(line, sizeof line, out)) {
    r.output += line;
    if (r.output.find("on http://") != std::string::npos) ::kill(pid, SIGINT);
  }
  std::fclose(out);
  r.exit_code = wait_exit(pid);
  return r;
}

}  // namespace

TEST_CASE("serve: accepted connections have TCP_NODELAY", "[serve]") {
  InProcessServe serve(ServeProcess::get().model_dir());
  const int client = probe_connect(serve.port());
  REQUIRE(client >= 0);
  // A full exchange: by then the server has accepted the connection.
  CHECK(probe_http_get(client, "/health", "\"ok\"").find("\"ok\"") != std::string::npos);
  const int accepted = probe_find_socket(serve.port(), probe_port(client, false));
  REQUIRE(accepted >= 0);
  CHECK(probe_nodelay(accepted) == 1);
  ::close(client);
}

TEST_CASE("serve: listens with a backlog of 4096 capped by somaxconn", "[serve]") {
  const ListenQueue q = probe_listen_queue(ServeProcess::get().port());
  // httplib's own backlog is 5; Linux caps any backlog at net.core.somaxconn (4096 since 5.4).
  CHECK(q.backlog == std::min<long>(kHttpListenBacklog, probe_somaxconn()));
}

TEST_CASE("serve: the bound socket queues 600 connections nobody accepts yet", "[serve]") {
  httplib::Server svr;  // bound and listening, but no accept loop runs
  const int port = http_server_bind(svr, "127.0.0.1", 0, "test");
  REQUIRE(probe_listen_queue(port).backlog >= 601);  // else the connects below would hang
  std::vector<int> clients;
  for (int i = 0; i < 600; ++i) clients.push_back(probe_connect(port));
  CHECK(std::count(clients.begin(), clients.end(), -1) == 0);
  CHECK(probe_listen_queue(port).queued == 600);
  for (int fd : clients) ::close(fd);
  ::close(probe_find_socket(port, -1));  // httplib closes the listener only after listening
}

TEST_CASE(
    "serve: a second serve on a busy port, or an impossible port, is a one-line error, exit 2",
    "[serve]") {
  ServeProcess& running = ServeProcess::get();
  httplib::Server second;
  CHECK_THROWS_AS(http_server_bind(second, "127.0.0.1", running.port(), "test"), InputError);

  const std::string bin = moebench_bin(), dir = running.model_dir().string();
  CommandResult busy =
      serve_until_listening_or_exit({bin, "serve", dir, "--port", std::to_string(running.port())});
  INFO(busy.output);
  CHECK(busy.exit_code == 2);
  CHECK(busy.output.find("cannot bind 127.0.0.1:" + std::to_string(running.port())) !=
        std::string::npos);
  CHECK(std::count(busy.output.begin(), busy.output.end(), '\n') == 1);
  for (const std::string port : {"99999", "-5", "65536"}) {
    CommandResult bad = serve_until_listening_or_exit({bin, "serve", dir, "--port=" + port});
    INFO(port << ": " << bad.output);
    CHECK(bad.exit_code == 2);
    CHECK(bad.output.find("--port") != std::string::npos);
    CHECK(std::count(bad.output.begin(), bad.output.end(), '\n') == 1);
  }
}

// An IPv6 address is printed in brackets: it printed `http://:::PORT/v1`, which no client takes.
TEST_CASE("serve: the URL it prints for an IPv6 host has the address in brackets", "[serve]") {
  const std::string bin = moebench_bin(), dir = ServeProcess::get().model_dir().string();
  for (const std::string host : {"::", "::1"}) {
    const CommandResult r =
        serve_until_listening_or_exit({bin, "serve", dir, "--host", host, "--port", "0"});
    INFO(r.output);
    const std::string url = " on http://[" + host + "]:";
    const size_t at = r.output.find(url);
    REQUIRE(at != std::string::npos);
    const size_t digits = r.output.find_first_not_of("0123456789", at + url.size());
    CHECK(digits > at + url.size());
    CHECK(r.output.compare(digits, 4, "/v1\n") == 0);
  }
  const CommandResult v4 =
      serve_until_listening_or_exit({bin, "serve", dir, "--host", "127.0.0.1", "--port", "0"});
  INFO(v4.output);
  CHECK(v4.output.find(" on http://127.0.0.1:") != std::string::npos);
}
