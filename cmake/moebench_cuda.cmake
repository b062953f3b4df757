# MOEBENCH_CUDA=AUTO|ON|OFF. When CUDA is enabled, kernels/*.cu build into moebench_kernels_cuda and
# MOEBENCH_HAVE_CUDA is defined for host code; otherwise host code takes its CPU-only paths.
add_library(moebench_kernels_cuda_iface INTERFACE)
set(MOEBENCH_HAVE_CUDA OFF)
if(NOT MOEBENCH_CUDA STREQUAL "OFF")
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    # NOTE: set before enable_language, else CMake picks the compiler's default (sm_75 for CUDA 13),
    # too old for the bf16 tensor-core kernels. H100 is the project's GPU test machine.
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 90 CACHE STRING "CUDA architectures")
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    set(MOEBENCH_HAVE_CUDA ON)
  elseif(MOEBENCH_CUDA STREQUAL "ON")
    message(FATAL_ERROR "MOEBENCH_CUDA=ON but no CUDA compiler was found ---> HINT: install the "
                        "CUDA toolkit or configure with -DMOEBENCH_CUDA=OFF")
  endif()
endif()
message(STATUS "moebench: CUDA targets ${MOEBENCH_HAVE_CUDA}")

if(MOEBENCH_HAVE_CUDA)
  # NOTE: CMake 3.25 does not know nvcc 13's C++20 flag; kernels are C++17 until it does.
  set(CMAKE_CUDA_STANDARD 17)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  file(GLOB cuda_srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/kernels/*.cu)
  add_library(moebench_kernels_cuda STATIC ${cuda_srcs})
  target_include_directories(moebench_kernels_cuda PUBLIC ${PROJECT_SOURCE_DIR})
  # NOTE: cuBLAS is not linked: kernels/cublas_api.cu loads it on first use (see there why).
  target_link_libraries(moebench_kernels_cuda PUBLIC CUDA::cudart ${CMAKE_DL_LIBS})
  target_link_libraries(moebench_kernels_cuda_iface INTERFACE moebench_kernels_cuda)
  target_compile_definitions(moebench_kernels_cuda_iface INTERFACE MOEBENCH_HAVE_CUDA=1)
endif()
