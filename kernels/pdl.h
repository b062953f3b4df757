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
// Whether the current device runs this build's kernels with their waits: compute capability 9+
// and code compiled for sm_90+ (a build for an older architecture compiles pdl_wait away, so its
// kernels must not be launched early). Needs a device; call outside graph capture.
bool cuda_pdl_supported();

}  // namespace moebench
