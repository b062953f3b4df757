// Reviewer 90, N2: an explicit temperature or top_p (`--gen-kwargs`, `--backend-opt`) on an entry
// whose `api.omit` leaves that setting out of every request (OpenAI's o1/o3) was dropped without a
// word: run.json records it null and --dry-run says "not sent", but the user who typed the flag was
// not told it had no effect. The run (and --dry-run) warns once per suite, as it does for the
// settings Anthropic's extended thinking cannot send.
#include <sstream>

#include "tests/api/api_loopback_util.h"
#include "tests/catch.h"

using namespace moebench;
using namespace moebench::testing;
using nlohmann::json;

namespace {

std::vector<std::string> warnings(const std::string& output) {
  std::vector<std::string> out;
  std::stringstream ss(output);
  for (std::string line; std::getline(ss, line);) {
    if (line.rfind("moebench: warning:", 0) == 0) out.push_back(line);
  }
  return out;
}

std::string unsent(const std::string& suite, const std::string& what, bool both) {
  return "moebench: warning: suite '" + suite + "': backend 'api:o' is not sent " + what +
         ": the models entry leaves " + (both ? "them" : "it") +
         " out of every request (api.omit), so the server samples at its own default";
}

}  // namespace

TEST_CASE("omit: an explicit setting the models entry leaves out is warned about per suite",
          "[api]") {
  const fs::path dir = temp_dir("api-omit-warning");
  const json omit = {{"api", {{"omit", {"temperature", "top_p"}}}}};
  const std::string suites = "--samples --suites gsm8k@chat,math500@chat --limit 1 ";
  {
    // --dry-run plans the run: the same warnings, one per suite.
    const fs::path models =
        write_loop_models(dir, "o", "openai-compatible", "http://127.0.0.1:9", omit);
    const std::string dry = moebench_bin() + " run --backend api:o --models '" + models.string() +
                            "' " + suites + "--dry-run ";
    const CommandResult kw = run_command(dry + "--gen-kwargs temperature=0.5,top_p=0.9", dir);
    INFO(kw.output);
    REQUIRE(kw.exit_code == 0);
    const std::string both = "--gen-kwargs temperature=0.5 and --gen-kwargs top_p=0.9";
    CHECK(warnings(kw.output) == std::vector<std::string>{unsent("gsm8k@chat", both, true),
                                                          unsent("math500@chat", both, true)});
    CHECK(kw.output.find(", temperature not sent, top_p not sent,") != std::string::npos);

    // --backend-opt wins over --gen-kwargs: what would have been sent is named.
    const CommandResult opt =
        run_command(dry + "--gen-kwargs top_p=0.9 --backend-opt temperature=0.7", dir);
    INFO(opt.output);
    REQUIRE(opt.exit_code == 0);
    const std::string named = "--backend-opt temperature=0.7 and --gen-kwargs top_p=0.9";
    CHECK(warnings(opt.output) == std::vector<std::string>{unsent("gsm8k@chat", named, true),
                                                           unsent("math500@chat", named, true)});

    // No setting asked for: nothing to say (the omit is the entry's, as the shipped o1's).
    const CommandResult plain = run_command(dry, dir);
    INFO(plain.output);
    REQUIRE(plain.exit_code == 0);
    CHECK(warnings(plain.output).empty());
  }

  // A run says it once per suite (not per request), on stderr, and sends neither.
  const fs::path answers = oracle_answers(dir, "gsm8k@chat,math500@chat", false);
  loopback::ServerOptions so;
  so.answers_file = answers.string();
  loopback::Server server(so);
  server.start();
  const json only_t = {{"api", {{"omit", {"temperature"}}}}};
  const fs::path models =
      write_loop_models(dir, "o", "openai-compatible", server.base_url(), only_t);
  const LoopRun r = run_moebench("--backend api:o --no-cache --models '" + models.string() +
                                     "' --samples --suites gsm8k@chat,math500@chat "
                                     "--gen-kwargs temperature=0.5,top_p=0.9",
                                 dir / "results", dir);
  INFO(r.command.output);
  REQUIRE(r.command.exit_code == 0);
  const std::string t = "--gen-kwargs temperature=0.5";
  CHECK(warnings(r.command.output) ==
        std::vector<std::string>{unsent("gsm8k@chat", t, false), unsent("math500@chat", t, false)});
  CHECK(r.run["suites"]["gsm8k@chat"]["spec"]["generation"]["temperature"].is_null());
  CHECK(r.run["suites"]["gsm8k@chat"]["spec"]["generation"]["top_p"] == 0.9);
  fs::remove_all(dir);
}
