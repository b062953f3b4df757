// The code_exec filter: renders a program from a template per response and runs it in the
// sandbox; the prediction is "passed" or "<verdict>: <reason>" (HumanEval, MBPP). A program the
// sandbox could not run (its setup failed) has no verdict: the problem is a scoring error.
#include "common/error.h"
#include "harness/scoring/builtins.h"
#include "harness/scoring/registry.h"
#include "harness/scoring/sandbox.h"

namespace moebench {
namespace {

FilterStep make_code_exec(const nlohmann::json& args, const std::string& where) {
  if (!args.contains("program") || !args["program"].is_string()) {
    throw input_error(where, "code_exec needs a string field 'program' (the program template)");
  }
  std::string program = args["program"].get<std::string>();
  double timeout_s = 0;  // 0: the sandbox's own limits
  if (args.contains("timeout_s")) {
    if (!args["timeout_s"].is_number() || args["timeout_s"].get<double>() <= 0) {
      throw input_error(where, "code_exec field 'timeout_s' must be a positive number");
    }
    timeout_s = args["timeout_s"].get<double>();
  }
  for (const auto& [key, _] : args.items()) {
    if (key != "fn" && key != "program" && key != "timeout_s") {
      throw input_error(where, "code_exec: unknown field '" + key + "'");
    }
  }
  return [program, timeout_s](std::vector<std::string> responses, const FilterContext& ctx) {
    if (!ctx.sandbox) throw std::runtime_error("code_exec needs a sandbox");
    SandboxLimits limits = ctx.sandbox->options().limits;
    if (timeout_s > 0) limits.wall_s = limits.cpu_s = timeout_s;
    std::vector<std::string> programs;
    programs.reserve(responses.size());
    for (const auto& response : responses) {
      programs.push_back(ctx.suite->render(program, *ctx.doc, {{"completion", response}}));
    }
    std::vector<std::string> out;
    out.reserve(programs.size());
    for (const auto& r : ctx.sandbox->run_python_batch(programs, &limits)) {
      out.push_back(sandbox_prediction(r));
    }
    return out;
  };
}

}  // namespace

void scoring_register_code() { filter_register("code_exec", make_code_exec); }

}  // namespace moebench
