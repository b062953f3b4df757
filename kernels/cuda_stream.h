// cudaStream_t without CUDA headers, so kernel declarations compile in CPU-only translation units.
#pragma once

// NOTE: the CUDA runtime spells it `typedef struct CUstream_st* cudaStream_t;`; repeating the
// same alias is legal C++, so this header and <cuda_runtime_api.h> can meet in one file.
struct CUstream_st;
using cudaStream_t = CUstream_st*;
