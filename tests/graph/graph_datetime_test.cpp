#include "graph/graph_datetime.h"

#include <catch2/catch.hpp>

using namespace appkeeper;
using namespace appkeeper::graph;
using std::chrono::milliseconds;

TEST_CASE("Graph date-times are written in UTC with seven fraction digits", "[graph][datetime]") {
  CHECK(formatGraphDateTime(fromUnixMillis(1'713'474'535'123)) == "2024-04-18T21:08:55.1230000Z");
  CHECK(formatGraphDateTime(fromUnixMillis(0)) == "1970-01-01T00:00:00.0000000Z");
  CHECK(formatGraphDateTime(WallTime(std::chrono::nanoseconds(1'234'567'891))) ==
        "1970-01-01T00:00:01.2345678Z");
}

TEST_CASE("Graph date-times are read with any fraction and a Z or an offset", "[graph][datetime]") {
  const WallTime t = fromUnixMillis(1'713'474'535'123);
  CHECK(parseGraphDateTime("2024-04-18T21:08:55.1230000Z") == t);
  CHECK(parseGraphDateTime("2024-04-18T21:08:55.123Z") == t);
  CHECK(parseGraphDateTime("2024-04-18T21:08:55.12300004711Z") == t);
  CHECK(parseGraphDateTime("2024-04-18T13:08:55.123-08:00") == t);
  CHECK(parseGraphDateTime("2024-04-19T00:38:55.123+03:30") == t);
  CHECK(parseGraphDateTime("2024-04-18T21:08:55Z") == t - milliseconds(123));
}

TEST_CASE("what formatGraphDateTime writes reads back to the same instant", "[graph][datetime]") {
  for (int64_t ms : {int64_t{0}, int64_t{1'713'474'535'123}, int64_t{4'102'444'799'999}}) {
    CHECK(parseGraphDateTime(formatGraphDateTime(fromUnixMillis(ms))) == fromUnixMillis(ms));
  }
}

TEST_CASE("malformed or impossible Graph date-times are rejected", "[graph][datetime]") {
  for (const char* text :
       {"", "2024-04-18", "2024-04-18T21:08:55", "2024-04-18 21:08:55Z", "2024-02-30T00:00:00Z",
        "2024-04-18T24:00:00Z", "2024-04-18T21:08:55.Z", "2024-04-18T21:08:55Zjunk",
        "2024-04-18T21:08:55+0100", "1969-12-31T23:59:59Z", "9999-01-01T00:00:00Z",
        "２024-04-18T21:08:55Z"}) {
    INFO(text);
    CHECK_FALSE(parseGraphDateTime(text).has_value());
  }
}
