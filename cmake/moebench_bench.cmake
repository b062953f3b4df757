# moebench-kernels: the Google Benchmark microbenchmarks of kernels/bench/ ("cpu/" always, "gpu/"
# in CUDA builds, NCCL collectives when NCCL is found) and the ctest case "bench: cpu smoke".
find_package(benchmark REQUIRED)

file(GLOB bench_srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/kernels/bench/bench_cpu*.cpp)
list(APPEND bench_srcs ${PROJECT_SOURCE_DIR}/kernels/bench/bench_main.cpp)
if(MOEBENCH_HAVE_CUDA)
  file(GLOB bench_gpu_srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/kernels/bench/bench_gpu*.cpp)
  list(APPEND bench_srcs ${bench_gpu_srcs})
  # NOTE: NCCL ships apart from the toolkit; without it the collectives are left out, not faked.
  find_path(MOEBENCH_NCCL_INCLUDE nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS})
  find_library(MOEBENCH_NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR})
  if(MOEBENCH_NCCL_INCLUDE AND MOEBENCH_NCCL_LIBRARY)
    list(APPEND bench_srcs ${PROJECT_SOURCE_DIR}/kernels/bench/bench_nccl.cpp)
    set(bench_nccl ON)
  endif()
endif()
message(STATUS "moebench-kernels: CUDA ${MOEBENCH_HAVE_CUDA}, NCCL ${bench_nccl}")

add_executable(moebench-kernels ${bench_srcs})
target_link_libraries(moebench-kernels PRIVATE moebench_kernels_host benchmark::benchmark)
set_target_properties(moebench-kernels PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
if(bench_nccl)
  target_include_directories(moebench-kernels PRIVATE ${MOEBENCH_NCCL_INCLUDE})
  target_link_libraries(moebench-kernels PRIVATE ${MOEBENCH_NCCL_LIBRARY})
endif()

if(MOEBENCH_TESTS)
  enable_testing()  # NOTE: this file is included before the root's enable_testing()
  # Runs the cpu/ benchmarks briefly and checks the JSON (kernels/bench/bench_smoke.py).
  add_test(NAME "bench: cpu smoke"
    COMMAND python3 ${PROJECT_SOURCE_DIR}/kernels/bench/bench_smoke.py
            $<TARGET_FILE:moebench-kernels> ${PROJECT_BINARY_DIR}/bench-smoke.json)
  set_tests_properties("bench: cpu smoke" PROPERTIES TIMEOUT 60)
endif()
