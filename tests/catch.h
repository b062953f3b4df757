// Include this instead of a Catch2 header: it picks v3 (catch_all.hpp) or v2 (catch.hpp).
// Compare floating point with std::abs(a - b) < tol rather than Approx, whose name differs.
#pragma once
#if __has_include(<catch2/catch_all.hpp>)
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif
