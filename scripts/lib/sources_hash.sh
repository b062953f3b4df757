# sources_hash: a short hash of the C++/CUDA sources under the current directory (the repo root),
# which scripts/device_bundle.sh records in the bundle's MANIFEST and scripts/device_run.sh
# compares with the checkout it runs in. Sourced by both.
sources_hash() {
  find kernels backends harness common reports tasks/src tests -type f \
    \( -name '*.cpp' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' \) -print0 |
    LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16
}
