// The table cells' number formats: three significant digits in a unit, never exponent notation
// ("1e+03 ms" for 0.9996 s, "1.23e+03 s" for 1234 s, "1e+03 us" for 999.6 µs were shown).
#include "reports/bench_history.h"
#include "reports/site_html.h"
#include "tests/catch.h"

using namespace moebench;

TEST_CASE("fmt_seconds: three significant digits, the unit they round into, no exponent") {
  CHECK(fmt_seconds(0.84) == "840 ms");
  CHECK(fmt_seconds(0.012) == "12 ms");
  CHECK(fmt_seconds(3.1e-6) == "3.1 \xC2\xB5s");
  CHECK(fmt_seconds(2.5) == "2.5 s");
  CHECK(fmt_seconds(0.9996) == "1 s");
  CHECK(fmt_seconds(0.0009996) == "1 ms");
  CHECK(fmt_seconds(1234) == "1234 s");
  CHECK(fmt_seconds(0) == "0 ms");
  CHECK(fmt_seconds(std::nullopt) == "—");
}

TEST_CASE("bench_format_ns: three significant digits, the unit they round into, no exponent") {
  CHECK(bench_format_ns(12.3) == "12.3 ns");
  CHECK(bench_format_ns(999.6) == "1 us");
  CHECK(bench_format_ns(999600) == "1 ms");
  CHECK(bench_format_ns(1.5e6) == "1.5 ms");
  CHECK(bench_format_ns(999.96e6) == "1 s");
  CHECK(bench_format_ns(1234e9) == "1234 s");
}

TEST_CASE("fmt_usd: cents and above fixed and below a cent three significant digits") {
  CHECK(fmt_usd(123.4) == "$123");
  CHECK(fmt_usd(12.3) == "$12.30");
  CHECK(fmt_usd(0.0123) == "$0.0123");
  // They printed "$1.4e-05" and "$7.7e-05".
  CHECK(fmt_usd(1.4152e-05) == "$0.0000142");
  CHECK(fmt_usd(7.681e-05) == "$0.0000768");
  CHECK(fmt_usd(0.00995) == "$0.00995");
  CHECK(fmt_usd(0) == "$0");
  CHECK(fmt_usd(-2.5e-4) == "$-0.000250");
  CHECK(fmt_usd(std::nullopt) == "—");
}
