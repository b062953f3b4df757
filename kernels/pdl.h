// Programmatic dependent launch (Hopper): a stream marked here has the launchers that support it
// (kernels/pdl.cuh's pdl_launch) start each kernel while its predecessor finishes; the kernel
// waits (griddepcontrol.wait) before it touches anything the predecessor writes, so results do
// not change, only the gaps between kernels shrink. Compiles without CUDA headers; defined in
// CUDA builds.
#pragma once

#include "kernels/cuda_stream.h"

namespace moebench {

// Marks (on) or unmarks a stream; at most 64 streams are marked at once (std::length_error past
// that; std::invalid_argument for the default stream). Unmark a stream before destroying it.
void cuda_stream_set_pdl(cudaStream_t stream, bool on);
// Whether the stream is marked.
bool cuda_stream_pdl(cudaStream_t stream);

}  // namespace moebench
