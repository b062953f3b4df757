// Whether the current device runs this build's sm_90a code (the wgmma kernels), shared by their
// launchers and availability checks. Plain C++: defined in wgmma_probe.cu (CUDA builds only).
#pragma once

namespace moebench {

// True when the current device has compute capability 9 and this build holds sm_90a code for it
// (-DCMAKE_CUDA_ARCHITECTURES=90a). Asked once per device with a synchronous probe kernel, so the
// first call must come before any graph capture (engines ask at load).
bool wgmma_code_present();

}  // namespace moebench
