// Tests of suite specs and SuiteInstance on the checked-in samples: validation errors, the
// spec list, exact GSM8K and MMLU prompts, gold choices, targets and oracle answers.
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "common/error.h"
#include "tasks/suite.h"
#include "tests/catch.h"

namespace fs = std::filesystem;
using moebench::DataSource;
using moebench::SuiteInstance;
using moebench::SuiteSpec;
using nlohmann::json;

namespace {

const fs::path kTasks = fs::path(MOEBENCH_SOURCE_DIR) / "tasks";

DataSource samples() { return DataSource{"", kTasks, true, {}}; }

json read_json(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

// Writes `raw` as tasks/<area>/<name>.json under a temp dir and reads it back.
std::string spec_error(const json& raw, const std::string& name = "gsm8k") {
  fs::path dir = fs::temp_directory_path() / ("moebench_spec_" + std::to_string(::getpid())) /
                 "tasks" / "math";
  fs::create_directories(dir);
  fs::path file = dir / (name + ".json");
  std::ofstream(file) << raw.dump(2);
  std::string out = "(no error)";
  try {
    moebench::suite_read_spec(file);
  } catch (const moebench::InputError& e) {
    out = e.what();
  }
  fs::remove_all(dir.parent_path().parent_path());
  return out;
}

}  // namespace

TEST_CASE("specs: every suite reads and validates", "[spec]") {
  auto specs = moebench::suite_list_specs(kTasks);
  std::vector<std::string> names;
  for (const SuiteSpec& s : specs) names.push_back(s.name);
  CHECK(names == std::vector<std::string>{"agieval_gaokao", "agieval_gaokao_mathcloze",
                                          "arc_challenge", "ceval", "cmmlu", "gaokao", "gsm8k",
                                          "humaneval", "math500", "mbpp", "mmlu"});
  SuiteSpec g = moebench::suite_find_spec(kTasks, "gsm8k");
  CHECK(g.version == "3.0");
  CHECK(g.generation.stop == std::vector<std::string>{"Question:", "</s>", "<|im_end|>"});
  CHECK(g.filters.size() == 2);
  CHECK(moebench::suite_find_spec(kTasks, "mmlu").weight_by_subject);
}

// lm-eval generates up to its default max_gen_toks (256) where a task's yaml sets none (gsm8k,
// minerva_math500, mbpp); math500 allowed 1024 and finished 138 of 500 answers lm-eval cuts off.
TEST_CASE("specs: suites mirroring lm-eval generate no more tokens than it does", "[spec]") {
  for (const char* name : {"gsm8k", "math500", "mbpp"}) {
    INFO(name);
    CHECK(moebench::suite_find_spec(kTasks, name).generation.max_tokens == 256);
  }
  CHECK(moebench::suite_find_spec(kTasks, "humaneval").generation.max_tokens == 1024);
}

// Gaokao scores the last 【答案】: a base model that answered and went on to write the next
// question (its prompt's first words) had that invented question's answer scored.
TEST_CASE("specs: gaokao generation stops where a next question would begin", "[spec]") {
  const SuiteSpec g = moebench::suite_find_spec(kTasks, "gaokao");
  CHECK(g.generation.stop == std::vector<std::string>{"以下是一道中国高考试题"});
}

// GAOKAO-Bench credits each sub-question (19 of 20 blanks: 0.95); choice_match gave 0.
TEST_CASE("specs: gaokao scores per sub-question", "[spec]") {
  const SuiteSpec g = moebench::suite_find_spec(kTasks, "gaokao");
  REQUIRE(g.metrics.size() == 1);
  CHECK(g.metrics[0]["metric"] == "subquestion_match");
  CHECK(g.version == "1.5");
}

// GAOKAO-Bench totals points (score x sub-questions) over a file, a subject and all files: each
// document weighs its possible points (doc_weight: the product of its templates' values).
TEST_CASE("gaokao: a document weighs its possible points", "[suite]") {
  SuiteInstance g = SuiteInstance::open(moebench::suite_find_spec(kTasks, "gaokao"), samples());
  REQUIRE(g.docs().size() == 4);
  CHECK(g.spec().doc_weight == std::vector<std::string>{"{{score}}", "{{answer|count}}"});
  CHECK(g.docs()[0].weight == 18);  // 3 sub-questions at 6 points
  CHECK(g.docs()[1].weight == 5);
  CHECK(g.docs()[3].weight == 6);  // one multi-answer question
  // Other suites weigh every document 1.
  SuiteInstance m = SuiteInstance::open(moebench::suite_find_spec(kTasks, "mmlu"), samples());
  CHECK(m.spec().doc_weight.empty());
  CHECK(m.docs()[0].weight == 1);
  // A weight that is no number > 0 names the document and the template.
  moebench::SuiteSpec bad = moebench::suite_find_spec(kTasks, "gaokao");
  bad.raw["doc_weight"] = "{{question}}";
  try {
    SuiteInstance::open(bad, samples());
    FAIL("no error");
  } catch (const moebench::InputError& e) {
    const std::string w = e.what();
    CHECK(w.find("2010-2022_English_Reading_Comp.json:example[0]: spec field 'doc_weight[0]' "
                 "({{question}}) gives \"") != std::string::npos);
    CHECK(w.find("expected a number > 0") != std::string::npos);
  }
}

TEST_CASE("specs: unknown suite lists the known ones", "[spec]") {
  try {
    moebench::suite_find_spec(kTasks, "gsm9k");
    FAIL("no error");
  } catch (const moebench::InputError& e) {
    std::string w = e.what();
    CHECK(w.rfind("unknown suite 'gsm9k' (known: agieval_gaokao, agieval_gaokao_mathcloze, ", 0) ==
          0);
  }
}

TEST_CASE("specs: validation errors name the file and the field", "[spec]") {
  json base = read_json(kTasks / "math" / "gsm8k.json");
  std::string file = "tasks/math/gsm8k.json";
  CHECK(spec_error(base) == "(no error)");

  json j = base;
  j["generation"]["max_tokens"] = "256";
  CHECK(spec_error(j) == file + ": field 'generation.max_tokens': expected an integer");
  // Out of range: 4294967297 was narrowed to 1, a negative temperature and a top_p past 1 taken.
  j["generation"]["max_tokens"] = 4294967297L;
  CHECK(spec_error(j) == file + ": field 'generation.max_tokens': must be from 1 to 2147483647");
  j = base;
  j["generation"]["temperature"] = -1;
  CHECK(spec_error(j) == file + ": field 'generation.temperature': must not be negative");
  j = base;
  j["generation"]["top_p"] = 1.5;
  CHECK(spec_error(j) == file + ": field 'generation.top_p': must be in (0, 1]");
  j = base;
  j["generation"]["n_samples"] = 4294967297L;
  CHECK(spec_error(j) == file + ": field 'generation.n_samples': must be from 1 to 2147483647");

  j = base;
  j["dataset"].erase("format");
  CHECK(spec_error(j) == file + ": field 'dataset.format': missing required field");

  j = base;
  j["metrics"][0]["filters"] = "strict-match";
  CHECK(spec_error(j) == file + ": field 'metrics[0].filters': expected a list of strings");

  j = base;
  j["metrics"][0]["metric"] = 3;
  CHECK(spec_error(j) == file + ": field 'metrics[0].metric': expected a string");

  j = base;
  j["prompt"]["num_fewshots"] = 5;
  CHECK(spec_error(j).rfind(file + ": field 'prompt.num_fewshots': unknown field", 0) == 0);

  j = base;
  j["filters"][1]["steps"][0].erase("fn");
  CHECK(spec_error(j) == file + ": field 'filters[1].steps[0].fn': missing required field");

  j = base;
  j["dataset"]["format"] = "parquet";
  CHECK(spec_error(j) == file +
                             ": field 'dataset.format': expected one of jsonl | jsonl.gz | csv | "
                             "gaokao_json, got 'parquet'");

  j = base;
  j["prompt"]["doc_to_text"] = "Question: {{question|shout}}";
  CHECK(spec_error(j).find(file + ": field 'prompt.doc_to_text': template tag") == 0);

  j = base;
  j["schema"] = 2;
  CHECK(spec_error(j).find("field 'schema': unsupported schema 2") != std::string::npos);

  j = base;
  j["output"] = "choice";
  CHECK(spec_error(j) == file + ": field 'choices': missing required field");

  j = base;
  j["doc_weight"] = 3;
  CHECK(spec_error(j) ==
        file + ": field 'doc_weight': expected a template or a non-empty list of templates");
  j["doc_weight"] = json::array({"{{score}}", 2});
  CHECK(spec_error(j) == file + ": field 'doc_weight[1]': expected a string");
  j["doc_weight"] = "{{score}}";
  j["weight_by_subject"] = true;
  CHECK(spec_error(j) == file +
                             ": field 'doc_weight': a suite weighs its documents or its subjects, "
                             "not both (weight_by_subject is true)");

  CHECK(spec_error(base, "other").find("differs from the file name") != std::string::npos);
}

// Found by tests/fuzz/suite_spec.cpp: a number beyond a double's range escaped as nlohmann's
// out_of_range (an internal error) instead of the file's InputError.
TEST_CASE("specs: a number too large for a double is malformed JSON", "[spec]") {
  fs::path dir = fs::temp_directory_path() / ("moebench_spec_big_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "gsm8k.json") << "{\"name\": \"gsm8k\", \"version\": 1e999}";
  std::string err = "(no error)";
  try {
    moebench::suite_read_spec(dir / "gsm8k.json");
  } catch (const moebench::InputError& e) {
    err = e.what();
  }
  CHECK(err.find("gsm8k.json: malformed JSON (number overflow") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("gsm8k: exact prompt with a 2-doc few-shot block", "[suite]") {
  SuiteSpec spec = moebench::suite_find_spec(kTasks, "gsm8k");
  spec.raw["prompt"]["num_fewshot"] = 2;
  spec.raw["prompt"]["fewshot_sampler"] = "first_n";  // the train docs in file order
  spec.raw["prompt"].erase("fewshot_seed");
  SuiteInstance s = SuiteInstance::open(spec, samples());
  REQUIRE(s.docs().size() == 3);
  const moebench::Doc& d = s.docs()[0];
  CHECK(d.id == "test/0");
  std::string expected =
      "Question: Tom has 3 boxes with 4 apples in each box. How many apples does Tom have?\n"
      "Answer: Each box holds 4 apples, so 3 boxes hold 3 * 4 = <<3*4=12>>12 apples.\n#### 12\n\n"
      "Question: A pencil costs $2 and a notebook costs $5. How much do 2 pencils and 1 notebook "
      "cost?\n"
      "Answer: Two pencils cost 2 * 2 = $<<2*2=4>>4.\nWith the notebook the total is 4 + 5 = "
      "$<<4+5=9>>9.\n#### 9\n\n"
      "Question: A farmer has 1,200 eggs and sells them in cartons of 12. How many cartons does "
      "he fill?\nAnswer:";
  moebench::Prompt p = s.prompt(d);
  CHECK(p.text == expected);
  // Chat form: few-shot as alternating turns, then the question.
  REQUIRE(p.messages.size() == 5);
  CHECK(p.messages[0].role == "user");
  CHECK(p.messages[1].role == "assistant");
  CHECK(p.messages[1].content.find("#### 12") != std::string::npos);
  CHECK(p.messages[4].content.rfind("Question: A farmer", 0) == 0);
  CHECK(p.continuations.empty());
  CHECK(s.target(d) == "He fills 1200 / 12 = <<1200/12=100>>100 cartons.\n#### 100");
  CHECK(s.oracle_response(d) == s.target(d));
}

TEST_CASE("mmlu: exact prompt, continuations, gold and oracle", "[suite]") {
  SuiteInstance s = SuiteInstance::open(moebench::suite_find_spec(kTasks, "mmlu"), samples());
  REQUIRE(s.docs().size() == 4);
  const moebench::Doc& d = s.docs()[0];
  CHECK(d.subject == "abstract_algebra");
  CHECK(d.id == "test/abstract_algebra_test/0");
  std::string expected =
      "The following are multiple choice questions (with answers) about abstract algebra.\n\n"
      "How many elements does Z_3 have?\nA. 1\nB. 2\nC. 3\nD. 4\nAnswer: C\n\n"
      "Is \"Z_2\" a group under addition?\nAnswer yes or no.\nA. yes\nB. no\n"
      "C. only under multiplication\nD. neither, nor both\nAnswer: A\n\n"
      "What is the order of the group Z_6?\nA. 2\nB. 3\nC. 6\nD. 12\nAnswer:";
  moebench::Prompt p = s.prompt(d);
  CHECK(p.text == expected);
  CHECK(p.continuations == std::vector<std::string>{" A", " B", " C", " D"});
  CHECK(s.gold_choices(d) == std::vector<int>{2});
  CHECK(s.target(d) == "C");
  CHECK(s.oracle_response(d) == "Answer: C");
  REQUIRE(p.messages.size() == 1);
  CHECK(p.messages[0].content.find("'Answer: $LETTER'") != std::string::npos);
  CHECK(s.docs()[2].subject == "high_school_geography");
}

TEST_CASE("choice suites: labels from the item, several gold answers", "[suite]") {
  SuiteInstance arc =
      SuiteInstance::open(moebench::suite_find_spec(kTasks, "arc_challenge"), samples());
  REQUIRE(arc.docs().size() == 4);
  CHECK(arc.prompt(arc.docs()[1]).continuations ==
        std::vector<std::string>{" shark", " frog", " whale"});
  CHECK(arc.gold_choices(arc.docs()[2]) == std::vector<int>{2});  // numeric label "3"
  CHECK(arc.prompt(arc.docs()[2]).messages[0].content.find("\n1) meter\n2) joule\n3) newton") !=
        std::string::npos);
  CHECK(arc.prompt(arc.docs()[3]).continuations.size() == 5);

  SuiteInstance ag =
      SuiteInstance::open(moebench::suite_find_spec(kTasks, "agieval_gaokao"), samples());
  REQUIRE(ag.docs().size() == 9);
  const moebench::Doc* multi = nullptr;
  for (const moebench::Doc& d : ag.docs()) {
    if (d.fields["label"].is_array()) multi = &d;
  }
  REQUIRE(multi != nullptr);
  CHECK(ag.gold_choices(*multi) == std::vector<int>{0, 2});
  CHECK(ag.target(*multi) == "AC");
  CHECK(ag.oracle_response(*multi) == "【答案】AC");
  const moebench::Doc& chem = ag.docs()[1];
  CHECK(ag.prompt(chem).text.find("答案：从A到G, 我们应选择") != std::string::npos);
  CHECK(ag.prompt(chem).continuations.size() == 7);
}

// Reviewer 73, F2: the prompt said "从以下选项中选择：" (AGIEval's few-shot wording) where
// AGIEval's convert_zero_shot, the query lm-eval's agieval_gaokao_* score, says "选项：", and
// gaokao-english (in AGIEval's english_qa_datasets) got the Chinese template instead of the English
// one.
TEST_CASE("agieval_gaokao: AGIEval's zero-shot prompt in Chinese and for gaokao-english",
          "[suite]") {
  SuiteInstance ag =
      SuiteInstance::open(moebench::suite_find_spec(kTasks, "agieval_gaokao"), samples());
  std::map<std::string, std::string> first;
  for (const moebench::Doc& d : ag.docs()) first.emplace(d.subject, ag.prompt(d).text);
  CHECK(first.at("gaokao-physics") ==
        "问题：关于自由落体运动，下列说法正确的是 选项：(A)初速度为零 (B)加速度为零 (C)加速度恒定 "
        "(D)速度恒定\n答案：从A到D, 我们应选择");
  CHECK(first.at("gaokao-english") ==
        "Every morning I run for half an hour before breakfast.Q: What does the writer do every "
        "morning? Answer Choices: (A)He runs. (B)He swims. (C)He reads. (D)He sleeps.\nA: Among A "
        "through D, the answer is");
  for (const auto& [subject, text] : first) {
    INFO(subject);
    CHECK(text.find("从以下选项中选择") == std::string::npos);
  }
}

TEST_CASE("gaokao: several sub-answers and multi-select targets", "[suite]") {
  SuiteInstance g = SuiteInstance::open(moebench::suite_find_spec(kTasks, "gaokao"), samples());
  REQUIRE(g.docs().size() == 4);
  CHECK(g.docs()[0].subject == "2010-2022_English_Reading_Comp");
  CHECK(g.target(g.docs()[0]) == "B C A");
  CHECK(g.oracle_response(g.docs()[0]) == "【答案】B C A");
  CHECK(g.target(g.docs()[3]) == "BC");
  CHECK(g.gold_choices(g.docs()[0]).empty());
}

TEST_CASE("code suites: render the sandbox program, mbpp few-shot from tasks 2-4", "[suite]") {
  SuiteInstance he = SuiteInstance::open(moebench::suite_find_spec(kTasks, "humaneval"), samples());
  REQUIRE(he.docs().size() == 3);
  const moebench::Doc& d = he.docs()[0];
  CHECK(d.id == "Sample/0");
  CHECK(he.prompt(d).text == d.fields["prompt"].get<std::string>());
  std::string program = he.render("{{prompt}}{{completion}}\n{{test}}\ncheck({{entry_point}})", d,
                                  {{"completion", he.oracle_response(d)}});
  CHECK(program.find("    return a + b\n\n\n\ndef check(candidate):") != std::string::npos);
  CHECK(program.substr(program.size() - 16) == "\ncheck(add_pair)");

  SuiteInstance mb = SuiteInstance::open(moebench::suite_find_spec(kTasks, "mbpp"), samples());
  REQUIRE(mb.docs().size() == 3);
  CHECK(mb.docs()[0].id == "11");
  std::string text = mb.prompt(mb.docs()[0]).text;
  CHECK(text.rfind("You are an expert Python programmer, and here is your task: Write a function "
                   "to return the larger of two numbers.",
                   0) == 0);
  CHECK(text.find("[BEGIN]\ndef larger(a, b):\r\n  return a if a > b else b\n[DONE]\n\n") !=
        std::string::npos);
  CHECK(text.substr(text.size() - 8) == "[BEGIN]\n");
}

TEST_CASE("math suites: minerva prompt and boxed oracle", "[suite]") {
  SuiteInstance m = SuiteInstance::open(moebench::suite_find_spec(kTasks, "math500"), samples());
  REQUIRE(m.docs().size() == 4);
  const moebench::Doc& d = m.docs()[0];
  std::string text = m.prompt(d).text;
  CHECK(text.rfind("Problem:\nFind the domain of the expression", 0) == 0);
  CHECK(text.find("I hope it is correct.\n\nProblem:\nWhat is the value") != std::string::npos);
  CHECK(text.substr(text.size() - 11) == "\n\nSolution:");
  for (const moebench::Doc& doc : m.docs()) {
    CHECK(m.oracle_response(doc) == "Final Answer: The final answer is $" +
                                        doc.fields["answer"].get<std::string>() +
                                        "$. I hope it is correct.");
  }
  SuiteInstance c =
      SuiteInstance::open(moebench::suite_find_spec(kTasks, "agieval_gaokao_mathcloze"), samples());
  CHECK(c.target(c.docs()[2]) == "\\boxed{$2$;$-2$}");
  CHECK(c.oracle_response(c.docs()[0]) ==
        "Final Answer: The final answer is 2. I hope it is correct.");
  CHECK(c.prompt(c.docs()[0]).text.find("I hope it is correct.\n\nProblem:\n已知 $x+3=5$") !=
        std::string::npos);
}

TEST_CASE("data source errors: missing data names the suite, the dir and the fetch command",
          "[suite]") {
  SuiteSpec spec = moebench::suite_find_spec(kTasks, "gsm8k");
  try {
    SuiteInstance::open(spec, DataSource{"/nonexistent/moebench-data", kTasks, false, {}});
    FAIL("no error");
  } catch (const moebench::InputError& e) {
    CHECK(std::string(e.what()) ==
          "gsm8k: no data in /nonexistent/moebench-data/gsm8k; fetch it with: moebench data fetch "
          "gsm8k --data-dir '/nonexistent/moebench-data' (or pass --data-dir, set $MOEBENCH_DATA, "
          "or use --samples)");
  }
}

TEST_CASE("templates: unknown variable names the spec field and the doc line", "[suite]") {
  SuiteSpec spec = moebench::suite_find_spec(kTasks, "gsm8k");
  spec.raw["prompt"]["doc_to_text"] = "Question: {{questoin}}";
  spec.raw["prompt"]["fewshot_sampler"] = "first_n";  // train doc 1 is rendered first
  spec.raw["prompt"].erase("fewshot_seed");
  try {
    SuiteInstance::open(spec, samples());  // the few-shot prefix is built at open
    FAIL("no error");
  } catch (const moebench::InputError& e) {
    std::string w = e.what();
    CHECK(
        w.rfind(
            "tasks/math/gsm8k.json: field 'prompt.doc_to_text': unknown variable 'questoin' (doc ",
            0) == 0);
    CHECK(w.find("samples/gsm8k/train.jsonl:1)") != std::string::npos);
  }
  spec.raw["prompt"]["num_fewshot"] = 0;
  SuiteInstance s = SuiteInstance::open(spec, samples());
  try {
    s.prompt(s.docs()[1]);
    FAIL("no error");
  } catch (const moebench::InputError& e) {
    CHECK(std::string(e.what()).find("samples/gsm8k/test.jsonl:2)") != std::string::npos);
  }
}

// A reviewer's empty gsm8k/test.jsonl ran as "0 documents", exit 0, and ranked 0.0 in report.
TEST_CASE("data source errors: an eval file with no records names the file", "[suite]") {
  const fs::path data =
      fs::temp_directory_path() / ("moebench_empty_data_" + std::to_string(::getpid()));
  fs::create_directories(data / "gsm8k");
  std::ofstream(data / "gsm8k" / "test.jsonl") << "\n  \n";  // blank lines only: no record
  fs::copy_file(kTasks / "samples" / "gsm8k" / "train.jsonl", data / "gsm8k" / "train.jsonl");
  SuiteSpec spec = moebench::suite_find_spec(kTasks, "gsm8k");
  try {
    SuiteInstance::open(spec, DataSource{data, kTasks, false, {}});
    FAIL("no error");
  } catch (const moebench::InputError& e) {
    CHECK(std::string(e.what()) == (data / "gsm8k" / "test.jsonl").string() + ": no documents");
  }
  fs::remove_all(data);
}

// Reviewer 72, F4: a null answer in the user's own copy of gsm8k was the gold '' and the run
// exited 0; targets were rendered only when scoring, after every answer had been paid for.
TEST_CASE("data errors: a null target field is refused when the suite opens", "[suite]") {
  const fs::path data =
      fs::temp_directory_path() / ("moebench_null_target_" + std::to_string(::getpid()));
  fs::create_directories(data / "gsm8k");
  fs::copy_file(kTasks / "samples" / "gsm8k" / "train.jsonl", data / "gsm8k" / "train.jsonl");
  std::ofstream(data / "gsm8k" / "test.jsonl") << R"({"question": "q1", "answer": "#### 1"})"
                                               << "\n"
                                               << R"({"question": "q2", "answer": null})"
                                               << "\n";
  SuiteSpec spec = moebench::suite_find_spec(kTasks, "gsm8k");
  spec.raw["prompt"]["num_fewshot"] = 0;  // the 3 sample train docs are not lm-eval's 5 shots
  std::string what = "(no error)";
  try {
    SuiteInstance::open(spec, DataSource{data, kTasks, false, {}});
  } catch (const moebench::InputError& e) {
    what = e.what();
  }
  CHECK(what == (data / "gsm8k" / "test.jsonl").string() +
                    ":2: field 'answer' is null (expected a string)");
  fs::remove_all(data);
}
