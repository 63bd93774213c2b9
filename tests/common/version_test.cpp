#include "common/version.h"

#include <catch2/catch.hpp>

using appkeeper::compareVersions;
using appkeeper::isValidVersion;

TEST_CASE("versions compare numerically component by component", "[common][version]") {
  CHECK(*compareVersions("1.10.0", "1.9.2") > 0);
  CHECK(*compareVersions("1.9.2", "1.10.0") < 0);
  CHECK(*compareVersions("2.0", "10.0") < 0);
  CHECK(*compareVersions("1.4.0", "1.4.0") == 0);
}

TEST_CASE("missing version components count as zero", "[common][version]") {
  CHECK(*compareVersions("1.2", "1.2.0") == 0);
  CHECK(*compareVersions("1.2", "1.2.1") < 0);
  CHECK(*compareVersions("6", "5.9.9") > 0);
}

TEST_CASE("malformed versions do not compare", "[common][version]") {
  for (const char* bad : {"", "1..2", ".1", "1.", "1.a", "v1.0", "1.0-beta", "1234567890.0"}) {
    INFO(bad);
    CHECK_FALSE(isValidVersion(bad));
    CHECK_FALSE(compareVersions(bad, "1.0").has_value());
  }
  CHECK(isValidVersion("0"));
  CHECK(isValidVersion("1.0.0.7"));
}
