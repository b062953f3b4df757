// Include this instead of a Catch2 header: it picks v3 (catch_all.hpp) or v2 (catch.hpp).
// Compare floating point with std::abs(a - b) < tol rather than Approx, whose name differs.
#pragma once
#if __has_include(<catch2/catch_all.hpp>)
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif

// MOEBENCH_SKIP(msg): a visible skip. v3 (>= 3.3) has SKIP; v2 does not, so it warns and returns
// from the test case (the test then counts as passed, with the warning in the output).
#ifdef SKIP
#define MOEBENCH_SKIP(msg) SKIP(msg)
#else
#define MOEBENCH_SKIP(msg) \
  do {                     \
    WARN(msg);             \
    return;                \
  } while (0)
#endif
