# The include layering of moebench's own code (docs/ARCHITECTURE.md shows it as a picture). Each
# entry is "LAYER | ITS FOLDERS | THE LAYERS JUST BELOW IT"; a file may include headers of its own
# layer and of every layer below it, transitively. cmake/check_layers.cmake enforces it at build
# time and as the ctest case "layout: include layering"; a folder of product code missing here is
# an error too, so a new folder has to be placed.
set(moebench_layers
  "common      | common                                         | "
  "kernels     | kernels                                        | common"
  "kernel_bench| kernels/bench                                  | kernels"
  "tasks       | tasks tasks/src                                | common"
  "backends    | backends backends/validation                   | tasks"
  "api         | backends/api                                   | backends"
  "tokenizer   | backends/builtin/tokenizer                     | tasks"
  "checkpoint  | backends/builtin/checkpoint                    | tokenizer kernels"
  "engine      | backends/builtin/engine                        | checkpoint"
  "engine_cpu  | backends/builtin/engine/cpu                    | engine"
  "engine_cuda | backends/builtin/engine/cuda                   | engine"
  "builtin     | backends/builtin                               | backends engine_cpu engine_cuda"
  "serve       | backends/builtin/serve                         | builtin"
  "scoring     | harness/scoring                                | backends"
  "reports     | reports                                        | common"
  "harness     | harness/runner harness/results harness/loadgen harness/data | scoring reports api builtin"
  "cli         | harness/cli                                    | harness serve"
  "harness_bench | harness/bench                                | harness")
# The top folders holding product code: every source folder under them must be in a layer above.
set(moebench_layer_roots common kernels tasks backends harness reports)
