// ResponseCache: round trips, errors not stored, shared between handles; shard parsing.
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
