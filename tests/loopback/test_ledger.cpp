// The loopback server's ledger and /_loopback routes, answers files, the prefix cache, auth and
// TLS (with a self-signed certificate made by the openssl CLI).
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "tests/catch.h"
#include "tests/loopback/loopback_test_util.h"

using namespace moebench::loopback;
using namespace moebench::loopback::testing;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const std::string& name) {
  fs::path d =
      fs::temp_directory_path() / ("moebench-loopback-" + name + "-" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

json chat(const std::string& text) {
  return {{"model", "m"}, {"messages", {{{"role", "user"}, {"content", text}}}}};
}

}  // namespace

TEST_CASE("ledger counts outcomes and served tokens, and the loopback routes") {
  auto s = start_server();
  // A fault override hits the first attempts of a key: the fault first, then the retry.
  REQUIRE(
      post(*s, "/v1/chat/completions", chat("Hi"), {{"X-Loopback-Fault", "rate_limit"}})->status ==
      429);
  REQUIRE(post(*s, "/v1/chat/completions", chat("Hi"))->status == 200);
  REQUIRE(post(*s, "/v1/completions", {{"model", "m"}, {"prompt", "p"}})->status == 200);
  json led = s->ledger();
  CHECK(led["http_requests"] == 3);
  CHECK(led["by_outcome"]["ok"] == 2);
  CHECK(led["by_outcome"]["rate_limit"] == 1);
  REQUIRE(led["keys"].size() == 2);
  json k = led["keys"][0];
  CHECK(k["route"] == "/v1/chat/completions");
  CHECK(k["model"] == "m");
  CHECK(k["attempts"] == 2);
  CHECK(k["outcomes"] == json({"rate_limit", "ok"}));
  CHECK(k["served"]["prompt"] == 7);
  CHECK(k["served"]["completion"] == 4);
  CHECK(k["served"]["requests_ok"] == 1);
  httplib::Client c("127.0.0.1", s->port());
  auto r = c.Get("/_loopback/ledger");
  REQUIRE(r->status == 200);
  CHECK(json::parse(r->body)["http_requests"] == 3);
  REQUIRE(c.Post("/_loopback/reset", "", "application/json")->status == 200);
  CHECK(s->ledger()["http_requests"] == 0);
  CHECK(s->ledger()["keys"].empty());
}

TEST_CASE("answers file answers chat and completion prompts") {
  fs::path dir = temp_dir("answers");
  {
    std::ofstream out(dir / "samples.jsonl");
    out << R"({"prompt":[{"role":"user","content":"What is 2+2?"}],"responses":["It is 4."]})"
        << "\n"
        << R"({"prompt":"Q: 3+3?","responses":["6"]})"
        << "\n";
  }
  ServerOptions o;
  o.answers_file = (dir / "samples.jsonl").string();
  auto s = start_server(o);
  json j = json::parse(post(*s, "/v1/chat/completions", chat("What is 2+2?"))->body);
  CHECK(j["choices"][0]["message"]["content"] == "It is 4.");
  j = json::parse(post(*s, "/v1/completions", {{"model", "m"}, {"prompt", "Q: 3+3?"}})->body);
  CHECK(j["choices"][0]["text"] == "6");
  j = json::parse(post(*s, "/v1/chat/completions", chat("other"))->body);
  CHECK(j["choices"][0]["message"]["content"] == "The answer is 0.");
  {
    std::ofstream out(dir / "bad.jsonl");
    out << R"({"prompt":"x","responses":["y"]})"
        << "\n"
        << "{oops\n";
  }
  o.answers_file = (dir / "bad.jsonl").string();
  try {
    Server bad(o);
    FAIL("a bad answers file must throw");
  } catch (const moebench::InputError& e) {
    CHECK(std::string(e.what()).find("bad.jsonl:2") != std::string::npos);
  }
  fs::remove_all(dir);
}

TEST_CASE("prefix cache counts 64-piece blocks seen in earlier requests") {
  auto s = start_server();
  const std::string long_text(4 * 200, 'a');  // 200 pieces; flattened prompt 201 pieces
  json j = json::parse(post(*s, "/v1/chat/completions", chat(long_text))->body);
  CHECK(j["usage"]["prompt_tokens"] == 206);
  CHECK(j["usage"]["prompt_tokens_details"]["cached_tokens"] == 0);
  j = json::parse(post(*s, "/v1/chat/completions", chat(long_text + "bbbb"))->body);
  CHECK(j["usage"]["prompt_tokens_details"]["cached_tokens"] == 192);
  json msg = {{"model", "m"},
              {"max_tokens", 10},
              {"messages", {{{"role", "user"}, {"content", long_text}}}}};
  j = json::parse(post(*s, "/v1/messages", msg, anthropic_headers())->body);
  CHECK(j["usage"]["cache_read_input_tokens"] == 192);
  CHECK(j["usage"]["input_tokens"] == 206 - 192);
  json led = s->ledger();
  CHECK(led["keys"][1]["served"]["cached_prompt"] == 192);
  CHECK(led["keys"][1]["served"]["prompt"] == 207);
  // A faulted request is not served, so it adds nothing to the cache.
  const std::string other(4 * 70, 'c');
  post(*s, "/v1/completions", {{"model", "m"}, {"prompt", other}},
       {{"X-Loopback-Fault", "http_500"}});
  j = json::parse(post(*s, "/v1/completions", {{"model", "m"}, {"prompt", other + "x"}})->body);
  CHECK(j["usage"]["prompt_tokens_details"]["cached_tokens"] == 0);
  j = json::parse(post(*s, "/v1/completions", {{"model", "m"}, {"prompt", other}})->body);
  CHECK(j["usage"]["prompt_tokens_details"]["cached_tokens"] == 64);
}

TEST_CASE("api key is required when set") {
  ServerOptions o;
  o.api_key = "sk-test";
  auto s = start_server(o);
  auto r = post(*s, "/v1/chat/completions", chat("Hi"));
  CHECK(r->status == 401);
  r = post(*s, "/v1/chat/completions", chat("Hi"), {{"Authorization", "Bearer wrong"}});
  CHECK(r->status == 401);
  r = post(*s, "/v1/chat/completions", chat("Hi"), {{"Authorization", "Bearer sk-test"}});
  CHECK(r->status == 200);
  json msg = {
      {"model", "m"}, {"max_tokens", 10}, {"messages", {{{"role", "user"}, {"content", "x"}}}}};
  r = post(*s, "/v1/messages", msg, {{"anthropic-version", "2023-06-01"}, {"x-api-key", "no"}});
  CHECK(r->status == 401);
  CHECK(json::parse(r->body)["error"]["type"] == "authentication_error");
  r = post(*s, "/v1/messages", msg,
           {{"anthropic-version", "2023-06-01"}, {"x-api-key", "sk-test"}});
  CHECK(r->status == 200);
  CHECK(s->ledger()["by_outcome"]["auth"] == 3);
}

TEST_CASE("TLS with a self-signed certificate") {
  fs::path dir = temp_dir("tls");
  const std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -keyout " + key +
      " -out " + cert + " >/dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  ServerOptions o;
  o.tls_cert = cert;
  o.tls_key = key;
  auto s = start_server(o);
  CHECK(s->base_url().rfind("https://127.0.0.1:", 0) == 0);
  httplib::SSLClient c("127.0.0.1", s->port());
  c.enable_server_certificate_verification(false);
  auto r = c.Post("/v1/chat/completions", chat("Hi").dump(), "application/json");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(json::parse(r->body)["choices"][0]["message"]["content"] == "The answer is 0.");
  s->stop();
  fs::remove_all(dir);
}
