#include "graph/retry_after.h"

#include <catch2/catch.hpp>

using namespace appkeeper;
using namespace appkeeper::graph;
using std::chrono::milliseconds;

namespace {
// Sun, 06 Nov 1994 08:49:37 GMT, the RFC's own example date.
const WallTime kNow = fromUnixMillis(784111777000);
}  // namespace

TEST_CASE("delay-seconds are read as seconds, surrounding spaces tolerated",
          "[graph][retry-after]") {
  CHECK(parseRetryAfter("120", kNow) == milliseconds(120'000));
  CHECK(parseRetryAfter(" 5 ", kNow) == milliseconds(5'000));
  CHECK(parseRetryAfter("\t7", kNow) == milliseconds(7'000));
  CHECK(parseRetryAfter("0", kNow) == milliseconds(0));
  CHECK(parseRetryAfter("007", kNow) == milliseconds(7'000));
}

TEST_CASE("garbage, negative and non-integer Retry-After values are ignored",
          "[graph][retry-after]") {
  for (const char* bad :
       {"", "   ", "-1", "abc", "1e3", "1.5", "+5", "5s", "0x10", "1 2", "Sun, 06 Nov 1994",
        "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nov 1994 08:49:37 GMTx",
        "Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 29 Feb 1995 08:49:37 GMT"}) {
    INFO("'" << bad << "'");
    CHECK_FALSE(parseRetryAfter(bad, kNow).has_value());
  }
  CHECK_FALSE(parseRetryAfter(std::string_view("12\0", 3), kNow).has_value());
}

TEST_CASE("huge delays are clamped to the cap without overflowing", "[graph][retry-after]") {
  CHECK(parseRetryAfter("86400000", kNow) == milliseconds(std::chrono::hours(1)));
  CHECK(parseRetryAfter("99999999999999999999999999999", kNow) ==
        milliseconds(std::chrono::hours(1)));
  CHECK(parseRetryAfter("600", kNow, milliseconds(30'000)) == milliseconds(30'000));
  CHECK(parseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT", kNow) ==
        milliseconds(std::chrono::hours(1)));
}

TEST_CASE("an IMF-fixdate in the future is the time left until then", "[graph][retry-after]") {
  CHECK(parseRetryAfter("Sun, 06 Nov 1994 08:51:37 GMT", kNow) == milliseconds(120'000));
  CHECK(parseRetryAfter(" Sun, 06 Nov 1994 08:49:38 GMT ", kNow) == milliseconds(1'000));
}

TEST_CASE("an HTTP-date in the past means retry now", "[graph][retry-after]") {
  CHECK(parseRetryAfter("Sat, 05 Nov 1994 08:49:37 GMT", kNow) == milliseconds(0));
  CHECK(parseRetryAfter("Thu, 01 Jan 1970 00:00:00 GMT", kNow) == milliseconds(0));
}

TEST_CASE("the obsolete RFC 850 and asctime date forms are accepted", "[graph][retry-after]") {
  CHECK(parseRetryAfter("Sunday, 06-Nov-94 08:50:37 GMT", kNow) == milliseconds(60'000));
  CHECK(parseRetryAfter("Sun Nov  6 08:50:07 1994", kNow) == milliseconds(30'000));
  CHECK(parseRetryAfter("Sun Nov 16 08:49:37 1994", kNow) == milliseconds(std::chrono::hours(1)));
}

TEST_CASE("RFC 850 two-digit years are read as the nearest year not far in the future",
          "[graph][retry-after]") {
  // From 2027: "26" is 2026 and "76" is 2076 (within 50 years) but "80" is 1980.
  const WallTime now2027 = fromUnixMillis(1'800'000'000'000);
  auto year = [&](const char* date) {
    auto t = parseHttpDate(date, now2027);
    REQUIRE(t.has_value());
    return static_cast<int>(
        std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(*t)}.year());
  };
  CHECK(year("Monday, 02-Feb-26 00:00:00 GMT") == 2026);
  CHECK(year("Monday, 02-Feb-76 00:00:00 GMT") == 2076);
  CHECK(year("Monday, 02-Feb-80 00:00:00 GMT") == 1980);
}
