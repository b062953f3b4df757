# The layering check itself: a tree whose lower layer includes a higher one, and one with a folder
# in no layer, must both fail naming the file; a clean tree must pass.
#   cmake -DSRC=<source dir> -DWORK=<scratch dir> -P tests/layout/check_layers_test.cmake
cmake_minimum_required(VERSION 3.25)

function(make_tree dir)  # make_tree DIR PATH CONTENT [PATH CONTENT...]
  file(REMOVE_RECURSE ${dir})
  set(args ${ARGN})
  while(args)
    list(POP_FRONT args path content)
    file(WRITE ${dir}/${path} "${content}\n")
  endwhile()
endfunction()

function(expect_check dir want_rc want_text)
  execute_process(COMMAND ${CMAKE_COMMAND} -DROOT=${dir} -P ${SRC}/cmake/check_layers.cmake
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(want_rc EQUAL 0 AND NOT rc EQUAL 0)
    message(FATAL_ERROR "${dir}: the check failed on a clean tree:\n${out}${err}")
  endif()
  if(NOT want_rc EQUAL 0 AND rc EQUAL 0)
    message(FATAL_ERROR "${dir}: the check passed a bad tree:\n${out}${err}")
  endif()
  string(FIND "${out}${err}" "${want_text}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${dir}: the check's output lacks '${want_text}':\n${out}${err}")
  endif()
endfunction()

make_tree(${WORK}/clean
  common/error.h "#pragma once"
  backends/builtin/engine/cuda/engine_cuda.cpp "#include \"backends/builtin/engine/rope_table.h\""
  backends/builtin/engine/rope_table.h "#include \"common/error.h\""
  harness/cli/main.cpp "#include \"backends/builtin/serve/server.h\"\n#include \"kernels/ops.h\"")
expect_check(${WORK}/clean 0 "4 files checked")

make_tree(${WORK}/upward
  common/error.h "#include \"harness/cli/cli_common.h\""
  harness/cli/cli_common.h "#pragma once")
expect_check(${WORK}/upward 1
  "common/error.h: layer 'common' includes harness/cli/cli_common.h of layer 'cli'")

make_tree(${WORK}/sideways
  backends/builtin/engine/cuda/engine_cuda.cpp
  "#include \"backends/builtin/engine/cpu/engine_cpu_layers.h\"")
expect_check(${WORK}/sideways 1 "layer 'engine_cuda' includes")

make_tree(${WORK}/unplaced backends/builtin/misc/x.h "#pragma once")
expect_check(${WORK}/unplaced 1 "folder 'backends/builtin/misc' is in no layer")
message(STATUS "check_layers: clean tree passed; upward, sideways and unplaced trees refused")
