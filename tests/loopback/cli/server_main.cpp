// moebench-loopback: the loopback API server as a process, for SDK and end-to-end tests. Prints
// "loopback: listening on URL" first, serves until SIGINT/SIGTERM, then writes the ledger.
#include <CLI/CLI.hpp>
#include <csignal>
#include <fstream>
#include <iostream>

#include "common/error.h"
#include "tests/loopback/server/loopback_server.h"

namespace {

// Waits for SIGINT/SIGTERM in this thread (blocked in all others) instead of a handler.
int wait_for_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace

int main(int argc, char** argv) {
  using moebench::loopback::ServerOptions;
  ServerOptions o;
  std::string ledger_path, kinds;
  CLI::App app{"moebench-loopback: an OpenAI/Anthropic-format test server with scripted faults"};
  app.add_option("--host", o.host, "address to bind");
  app.add_option("--port", o.port, "port (0 = any free port)");
  app.add_option("--latency-ms", o.latency_ms, "wait before the first byte of a response");
  app.add_option("--chunk-ms", o.chunk_ms, "wait between streamed chunks");
  app.add_option("--threads", o.threads, "worker threads (one per keep-alive connection)");
  app.add_option("--api-key", o.api_key, "required key (Authorization: Bearer or x-api-key)");
  app.add_option("--answers", o.answers_file, "a moebench samples.jsonl with the answers");
  app.add_option("--default-answer", o.default_answer, "answer to unknown prompts");
  app.add_option("--fault-rate", o.faults.rate, "share of request keys that get a fault");
  app.add_option("--permanent-share", o.faults.permanent_share, "share of faults never clearing");
  app.add_option("--fault-kinds", kinds, "comma-separated fault kinds (default: all transient)");
  app.add_option("--transient-attempts-max", o.faults.transient_attempts_max,
                 "a transient fault lasts 1..this attempts");
  app.add_option("--seed", o.faults.seed, "seed of the fault plan");
  app.add_option("--retry-after", o.faults.retry_after_s, "Retry-After seconds of a 429");
  app.add_option("--slow-ms", o.faults.slow_ms, "wait of a 'slow' fault");
  app.add_option("--oversized-bytes", o.faults.oversized_bytes,
                 "body size of an 'oversized' fault");
  app.add_option("--tls-cert", o.tls_cert, "PEM certificate (with --tls-key: HTTPS)");
  app.add_option("--tls-key", o.tls_key, "PEM private key");
  app.add_option("--ledger", ledger_path, "write the ledger JSON here on exit");
  CLI11_PARSE(app, argc, argv);
  std::stringstream ss(kinds);
  for (std::string k; std::getline(ss, k, ',');)
    if (!k.empty()) o.faults.kinds.push_back(k);

  // Block the signals before any thread starts so only sigwait sees them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  try {
    moebench::loopback::Server server(o);
    server.start();
    std::cout << "loopback: listening on " << server.base_url() << std::endl;
    wait_for_signal();
    server.stop();
    if (!ledger_path.empty()) {
      std::ofstream out(ledger_path);
      out << server.ledger().dump(2) << "\n";
      if (!out) throw std::runtime_error("cannot write the ledger to " + ledger_path);
    }
  } catch (const moebench::InputError& e) {
    std::cerr << "moebench-loopback: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "moebench-loopback: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
