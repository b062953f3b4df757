// ResponseCache: round trips, errors not stored (partial answers are), shared between handles;
// shard parsing.
#include <atomic>
#include <mutex>
#include <thread>

#include "common/error.h"
#include "harness/runner/cache.h"
#include "harness/runner/runner.h"
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench;

TEST_CASE("cache stores and returns responses per backend", "[cache]") {
  auto dir = testing::temp_dir("cache");
  ResponseCache cache(dir / "c.sqlite");
  Response ok;
  ok.texts = {"42"};
  ok.tokens.completion = 3;
  Response bad;
  bad.error = ResponseError{ErrorType::timeout, "slow"};
  cache.put_many("b1", {"h1", "h2"}, {ok, bad});
  auto hits = cache.get_many("b1", {"h1", "h2", "h3"});
  REQUIRE(hits.size() == 1);  // errors are asked again next time
  CHECK(hits.at("h1").texts == std::vector<std::string>{"42"});
  CHECK(hits.at("h1").tokens.completion == 3);
  CHECK(cache.get_many("b2", {"h1"}).empty());
  ResponseCache again(dir / "c.sqlite");  // a second process's view
  CHECK(again.count("b1") == 1);
}

// A later run that takes an answer without usage from the cache must still know its tokens are
// the client's count; an entry stored before the flag existed reads as usage known.
TEST_CASE("the cache keeps that an answer came without usage", "[cache]") {
  auto dir = testing::temp_dir("cache-usage");
  ResponseCache cache(dir / "c.sqlite");
  Response unknown;
  unknown.texts = {"7"};
  unknown.tokens.completion = 5;
  unknown.usage_missing = true;
  Response known = unknown;
  known.usage_missing = false;
  cache.put_many("b", {"u", "k"}, {unknown, known});
  const auto hits = cache.get_many("b", {"u", "k"});
  REQUIRE(hits.size() == 2);
  CHECK(hits.at("u").usage_missing);
  CHECK_FALSE(hits.at("k").usage_missing);
  const nlohmann::json old = {{"texts", {"7"}}, {"tokens", {{"prompt", 9}, {"completion", 5}}}};
  CHECK_FALSE(Response::from_json(old).usage_missing);
}

TEST_CASE("a partial answer is kept and completed by the rest of its samples", "[cache]") {
  auto dir = testing::temp_dir("cache-partial");
  ResponseCache cache(dir / "c.sqlite");
  Response partial;  // 1 of 3 samples, then a call failed
  partial.texts = {"a"};
  partial.tokens.prompt = 10;
  partial.tokens.cached_prompt = 4;
  partial.tokens.completion = 2;
  partial.error = ResponseError{ErrorType::http, "HTTP 500"};
  REQUIRE(partial.partial());
  cache.put_many("b", {"h"}, {partial});
  const auto hits = cache.get_many("b", {"h"});
  REQUIRE(hits.size() == 1);
  CHECK(hits.at("h").partial());
  CHECK(hits.at("h").tokens.prompt == 10);
  Response rest;
  rest.texts = {"b", "c"};
  rest.reasoning = {"", "think"};
  rest.tokens.prompt = 20;
  rest.tokens.cached_prompt = 8;
  rest.tokens.completion = 5;
  rest.tokens.reasoning = 1;
  rest.total_s = 2;
  const Response whole = response_append_samples(hits.at("h"), rest);
  CHECK_FALSE(whole.error);
  CHECK(whole.texts == std::vector<std::string>{"a", "b", "c"});
  CHECK(whole.reasoning == std::vector<std::string>{"", "", "think"});
  CHECK(whole.tokens.prompt == 30);
  CHECK(whole.tokens.cached_prompt == 12);
  CHECK(whole.tokens.completion == 7);
  CHECK(whole.total_s == 2);
}

TEST_CASE("request hash covers everything that changes the answer", "[cache]") {
  Request a;
  a.prompt = "Q";
  a.suite = "s";
  a.doc_id = "1";
  Request b = a;
  b.suite = "other";
  b.doc_id = "2";
  CHECK(a.hash() == b.hash());
  b.generation.max_tokens += 1;
  CHECK(a.hash() != b.hash());
  Request c = a;
  c.seed = 7;
  CHECK(a.hash() != c.hash());
}

TEST_CASE("shard parsing", "[runner]") {
  int i = 0, n = 0;
  run_parse_shard("2/8", &i, &n);
  CHECK(i == 2);
  CHECK(n == 8);
  CHECK_THROWS_AS(run_parse_shard("8/8", &i, &n), InputError);
  CHECK_THROWS_AS(run_parse_shard("x", &i, &n), InputError);
  CHECK_THROWS_AS(run_parse_shard("1/0", &i, &n), InputError);
}

TEST_CASE("shards opening one new cache file together all open it", "[cache]") {
  // Switching a new file to WAL needs an exclusive lock, for which SQLite does not call the busy
  // handler: Slurm array tasks starting together failed with "database is locked (in: PRAGMA
  // journal_mode=WAL)". Each round: 8 handles open the same fresh file at once.
  auto dir = testing::temp_dir("cache-together");
  for (int round = 0; round < 20; ++round) {
    const auto file = dir / ("c" + std::to_string(round) + ".sqlite");
    std::atomic<int> ready{0}, failed{0};
    std::string first_error;
    std::mutex mu;
    std::vector<std::thread> openers;
    for (int t = 0; t < 8; ++t) {
      openers.emplace_back([&] {
        ++ready;
        while (ready < 8) std::this_thread::yield();  // start together
        try {
          ResponseCache cache(file);
          Response ok;
          ok.texts = {"x"};
          cache.put_many("b", {"h"}, {ok});
        } catch (const std::exception& e) {
          std::lock_guard<std::mutex> lock(mu);
          if (failed++ == 0) first_error = e.what();
        }
      });
    }
    for (auto& t : openers) t.join();
    INFO("round " << round << ": " << first_error);
    REQUIRE(failed == 0);
  }
  std::filesystem::remove_all(dir);
}
