# MOEBENCH_FUZZ=ON: every library is built with libFuzzer's coverage instrumentation, AddressSanitizer
# and UndefinedBehaviorSanitizer, and tests/fuzz/ adds one libFuzzer executable per input parser.
# Clang only (Debian's clang + libclang-rt-14-dev); use a separate build directory (scripts/fuzz.sh).
if(NOT MOEBENCH_FUZZ)
  return()
endif()
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "MOEBENCH_FUZZ=ON needs clang, got ${CMAKE_CXX_COMPILER_ID} ---> HINT: "
                      "configure a separate build dir with -DCMAKE_CXX_COMPILER=clang++ "
                      "-DCMAKE_C_COMPILER=clang, or run scripts/fuzz.sh")
endif()
if(MOEBENCH_HAVE_CUDA)
  message(FATAL_ERROR "MOEBENCH_FUZZ=ON needs -DMOEBENCH_CUDA=OFF (nvcc cannot take the sanitizers)")
endif()
# NOTE: UBSan findings abort (no recovery) so that libFuzzer records them as crashes with their
# input; the libraries get only the coverage hooks (fuzzer-no-link), the targets link libFuzzer.
set(moebench_fuzz_sanitizers -fsanitize=address,undefined -fno-sanitize-recover=undefined)
add_compile_options(-fsanitize=fuzzer-no-link ${moebench_fuzz_sanitizers} -fno-omit-frame-pointer)
add_link_options(${moebench_fuzz_sanitizers})
message(STATUS "moebench: fuzz build (libFuzzer, ASan, UBSan)")
