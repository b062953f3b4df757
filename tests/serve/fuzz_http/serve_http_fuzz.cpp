// moebench-serve-http-fuzz: sends fuzzed request bodies to a running `moebench serve` over HTTP
// and checks that every answer is 2xx or 4xx with a JSON body, and that the server still answers a
// well-formed request afterwards. Bodies come from corpus directories (the libFuzzer corpus of the
// serve request parser, the regression inputs) and built-in seeds, mutated deterministically from
// --seed: byte flips, truncations, splices, and JSON values replaced by values of other types and
// edge magnitudes. Generation limits in a body are capped at --max-tokens (and added where a body
// has none) so that 10,000 bodies fit in minutes on a CPU model: the parser is under test, not
// the decoder. Exit 0 when all held, 1 otherwise (the offending bodies are written to --out).
#include <httplib.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Flags {
  std::string host = "127.0.0.1", out;
  int port = 0, max_tokens = 4;
  long bodies = 10000;
  uint64_t seed = 1;
  std::vector<std::string> corpus;
};

// Request bodies that reach every part of the parser when valid, the starting points.
const char* const kSeeds[] = {
    R"({"messages":[{"role":"user","content":"hi"}],"max_tokens":2})",
    R"({"messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"a"}]}],"n":2,"temperature":0.5,"top_p":0.9,"top_k":5,"seed":3,"stop":["x","y"]})",
    R"({"messages":[{"role":"user","content":"q"}],"stream":true,"stream_options":{"include_usage":true},"max_completion_tokens":3})",
    R"({"messages":[{"role":"user","content":"q"}],"logprobs":true,"top_logprobs":3,"max_tokens":2})",
    R"({"prompt":"hello","max_tokens":3,"echo":true,"logprobs":2})",
    R"({"prompt":["a","b"],"n":2,"max_tokens":2,"stop":"c"})",
    R"({"prompt":[5,6,7],"max_tokens":0,"echo":true,"logprobs":0})",
    R"({"prompt":[[1,2],[3]],"stream":true,"max_tokens":2,"ignore_eos":true})",
    R"({"model":"x","prompt":"p","user":"u","frequency_penalty":0,"presence_penalty":0,"logit_bias":{}})",
};

const json kOddValues[] = {nullptr,  true,      -1,  0,  1,   2147483648LL,  -9223372036854775807LL,
                           1e300,    -0.0,      0.5, "", "x", json::array(), json::object(),
                           {1, "a"}, {{"k", 1}}};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Mutator {
 public:
  explicit Mutator(uint64_t seed) : rng_(seed) {}

  std::string mutate(const std::string& body, const std::string& other) {
    switch (pick(6)) {
      case 0:
        return body;
      case 1: {  // flip bytes
        std::string s = body;
        for (int k = 0, n = 1 + static_cast<int>(pick(4)); k < n && !s.empty(); ++k)
          s[pick(s.size())] = static_cast<char>(pick(256));
        return s;
      }
      case 2:  // truncate
        return body.substr(0, body.empty() ? 0 : pick(body.size()));
      case 3:  // splice
        return body.substr(0, body.empty() ? 0 : pick(body.size())) +
               other.substr(other.empty() ? 0 : pick(other.size()));
      default:  // JSON-aware: a value replaced, a key added or removed, deep nesting
        return mutate_json(body);
    }
  }

  size_t pick(size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_);
  }

 private:
  std::string mutate_json(const std::string& body) {
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return body;
    std::vector<json::json_pointer> paths;
    collect(j, json::json_pointer(), &paths);
    const json odd = kOddValues[pick(std::size(kOddValues))];
    switch (pick(4)) {
      case 0:
        if (!paths.empty()) j[paths[pick(paths.size())]] = odd;
        break;
      case 1: {
        static const char* const kKeys[] = {
            "n",    "top_k",  "seed",   "logprobs", "top_logprobs", "temperature",    "stop",
            "echo", "stream", "prompt", "messages", "max_tokens",   "stream_options", "nope"};
        j[kKeys[pick(std::size(kKeys))]] = odd;
        break;
      }
      case 2:
        if (!paths.empty()) j.erase(paths[pick(paths.size())].to_string().substr(1));
        break;
      default: {
        json deep = odd;
        for (int k = 0, n = 1 + static_cast<int>(pick(600)); k < n; ++k)
          deep = pick(2) ? json::array({deep}) : json{{"a", deep}};
        j[paths.empty() ? "prompt" : paths[pick(paths.size())].to_string().substr(1)] = deep;
      }
    }
    return j.dump();
  }

  // Paths of the top-level members and of the values one or two levels below them.
  void collect(const json& j, const json::json_pointer& at, std::vector<json::json_pointer>* out) {
    if (at.to_string().size() > 40 || out->size() > 200) return;
    if (!at.empty()) out->push_back(at);
    if (j.is_object()) {
      for (const auto& [k, v] : j.items())
        if (k.find_first_of("/~") == std::string::npos) collect(v, at / k, out);
    } else if (j.is_array()) {
      for (size_t i = 0; i < j.size() && i < 8; ++i) collect(j[i], at / i, out);
    }
  }

  std::mt19937_64 rng_;
};

// Caps generation so the decoder stays cheap; every other byte of the body is left as fuzzed.
std::string cap_tokens(const std::string& body, int max_tokens) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return body;
  // A limit key the fuzzer left (whatever its value) stays, lowered when it is a larger integer;
  // a body with none gets max_tokens.
  bool has_limit = false;
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {
    if (!j.contains(key)) continue;
    has_limit = true;
    if (j[key].is_number_integer() && j[key].get<long long>() > max_tokens) j[key] = max_tokens;
  }
  if (!has_limit) j["max_tokens"] = max_tokens;
  if (j.contains("n") && j["n"].is_number_integer() && j["n"].get<long long>() > 4) j["n"] = 4;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  CLI::App app{"Fuzzed request bodies against moebench serve over HTTP"};
  app.add_option("--host", f.host)->capture_default_str();
  app.add_option("--port", f.port, "serve's port")->required();
  app.add_option("--corpus", f.corpus, "Directories of bodies (repeatable; files read as-is)");
  app.add_option("--bodies", f.bodies, "Requests to send")->capture_default_str();
  app.add_option("--seed", f.seed, "Mutation seed")->capture_default_str();
  app.add_option("--max-tokens", f.max_tokens, "Generation cap per body")->capture_default_str();
  app.add_option("--out", f.out, "Directory for the bodies that got a 5xx or no answer");
  CLI11_PARSE(app, argc, argv);

  std::vector<std::string> pool(std::begin(kSeeds), std::end(kSeeds));
  for (const std::string& dir : f.corpus) {
    if (!fs::is_directory(dir)) {
      std::fprintf(stderr, "serve-http-fuzz: --corpus %s: not a directory\n", dir.c_str());
      return 2;
    }
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(dir))
      if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& p : files) pool.push_back(read_file(p));
  }
  if (!f.out.empty()) fs::create_directories(f.out);

  httplib::Client client(f.host, f.port);
  client.set_read_timeout(120, 0);
  client.set_keep_alive(true);
  // The server must answer a well-formed request first (waited for, up to a minute), so that a
  // server that is not up is never mistaken for one that fails the fuzzed bodies.
  const std::string well_formed =
      R"({"messages":[{"role":"user","content":"still there?"}],"max_tokens":2})";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    auto res = client.Post("/v1/chat/completions", well_formed, "application/json");
    if (res && res->status == 200) break;
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "serve-http-fuzz: %s:%d does not answer a well-formed request (%s)\n",
                   f.host.c_str(), f.port,
                   res ? ("HTTP " + std::to_string(res->status)).c_str()
                       : httplib::to_string(res.error()).c_str());
      return 2;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  Mutator mutator(f.seed);
  std::map<std::string, long> statuses;  // "endpoint status" -> count
  long bad = 0;
  for (long i = 0; i < f.bodies; ++i) {
    const std::string& base =
        pool[i < static_cast<long>(pool.size()) ? i : mutator.pick(pool.size())];
    const std::string body = cap_tokens(i < static_cast<long>(pool.size())
                                            ? base
                                            : mutator.mutate(base, pool[mutator.pick(pool.size())]),
                                        f.max_tokens);
    const char* path = i % 2 ? "/v1/completions" : "/v1/chat/completions";
    auto res = client.Post(path, body, "application/json");
    std::string key = std::string(path) + " ";
    bool ok = false;
    if (!res) {
      key += "no answer (" + httplib::to_string(res.error()) + ")";
    } else {
      key += std::to_string(res->status / 100) + "xx";
      const bool streamed =
          res->get_header_value("Content-Type").rfind("text/event-stream", 0) == 0;
      ok = (res->status / 100 == 2 || res->status / 100 == 4) &&
           (streamed || !json::parse(res->body, nullptr, false).is_discarded());
      if (!ok && res->status / 100 != 5) key += " (body not JSON)";
    }
    ++statuses[key];
    if (!ok) {
      ++bad;
      if (!f.out.empty())
        std::ofstream(fs::path(f.out) / ("bad-" + std::to_string(i) + ".json")) << body;
    }
  }
  // The server must still answer a well-formed request.
  auto health = client.Post("/v1/chat/completions", well_formed, "application/json");
  const bool alive = health && health->status == 200;
  std::printf("%-40s %8s\n", "endpoint status", "bodies");
  for (const auto& [key, n] : statuses) std::printf("%-40s %8ld\n", key.c_str(), n);
  std::printf(
      "%ld bodies (%zu seeds and corpus files, seed %llu): %ld not 2xx/4xx with a JSON body; "
      "a well-formed request afterwards: %s\n",
      f.bodies, pool.size(), static_cast<unsigned long long>(f.seed), bad,
      alive ? "200" : (health ? std::to_string(health->status).c_str() : "no answer"));
  return bad == 0 && alive ? 0 : 1;
}
