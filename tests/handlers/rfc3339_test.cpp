#include "handlers/rfc3339.h"

#include <catch2/catch.hpp>

using appkeeper::handlers::isRfc3339DateTime;

TEST_CASE("RFC 3339 date-times with Z, offsets and fractions are accepted", "[handlers]") {
  CHECK(isRfc3339DateTime("2026-11-29T10:00:00Z"));
  CHECK(isRfc3339DateTime("2026-11-29t10:00:00z"));
  CHECK(isRfc3339DateTime("2021-02-02T11:26:41.0537895-08:00"));
  CHECK(isRfc3339DateTime("2024-02-29T23:59:60+14:00"));  // leap day, leap second
}

TEST_CASE("text that is not an RFC 3339 date-time is refused", "[handlers]") {
  CHECK_FALSE(isRfc3339DateTime(""));
  CHECK_FALSE(isRfc3339DateTime("2026-11-29"));            // date only
  CHECK_FALSE(isRfc3339DateTime("2026-11-29T10:00:00"));   // no offset
  CHECK_FALSE(isRfc3339DateTime("2026-11-29 10:00:00Z"));  // space separator
  CHECK_FALSE(isRfc3339DateTime("2023-02-29T10:00:00Z"));  // not a leap year
  CHECK_FALSE(isRfc3339DateTime("2026-13-01T10:00:00Z"));
  CHECK_FALSE(isRfc3339DateTime("2026-11-29T24:00:00Z"));
  CHECK_FALSE(isRfc3339DateTime("2026-11-29T10:00:00.Z"));     // empty fraction
  CHECK_FALSE(isRfc3339DateTime("2026-11-29T10:00:00+0100"));  // offset without colon
  CHECK_FALSE(isRfc3339DateTime("2026-11-29T10:00:00Zjunk"));
  CHECK_FALSE(isRfc3339DateTime("1614265330"));
}
