// Which data a suite's documents came from, as SuiteInstance::open found it (run.json
// suites[name].data and data_why): kept apart from tasks/suite.h, which most of the tree includes.
#pragma once

#include <string>

namespace moebench {

class SuiteInstance;

struct SuiteData {
  // "listed": the dataset of tasks/datasets.json, every file at its listed size; "own copy": a dir
  // of that dataset holding none of its files at their sizes (the user's subset or conversion,
  // read unchecked); "unlisted": a dataset the table does not list, or a suite's own data;
  // "samples": the bundled samples.
  std::string kind = "unlisted";
  std::string why;  // for "own copy": "none of the 2 files ... (first: ...)"
};

const SuiteData& suite_data(const SuiteInstance& suite);

}  // namespace moebench
