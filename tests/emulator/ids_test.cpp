#include "emulator/ids.h"

#include <catch2/catch.hpp>

#include "emulator/prng.h"

using namespace appkeeper::emulator;

TEST_CASE("an installation id is base64 of teamId##teamsAppId, as in the Graph docs",
          "[emulator]") {
  // contrib team-list-installedapps.md: this team and app give exactly this id.
  CHECK(installationId("6903fa93-605b-43ef-920e-77c4729f8258",
                       "00001016-de05-492e-9106-4828fc8a8687") ==
        "NjkwM2ZhOTMtNjA1Yi00M2VmLTkyMGUtNzdjNDcyOWY4MjU4IyMwMDAwMTAxNi1kZTA1LTQ5MmUtOTEwNi00ODI4Zm"
        "M4YTg2ODc=");
}

TEST_CASE("a definition id carries the publishing state, capitalised, so it changes with it",
          "[emulator]") {
  auto published = definitionId("a5228c26-1111-2222-3333-444444444444", "1.0.0", "published");
  auto submitted = definitionId("a5228c26-1111-2222-3333-444444444444", "1.0.0", "submitted");
  CHECK(base64Decode(published) == "a5228c26-1111-2222-3333-444444444444##1.0.0##Published");
  CHECK(base64Decode(submitted) == "a5228c26-1111-2222-3333-444444444444##1.0.0##Submitted");
  CHECK(published != submitted);
}

TEST_CASE("base64 round-trips every length and refuses malformed text", "[emulator]") {
  std::string bytes;
  for (int n = 0; n < 40; ++n) {
    CHECK(base64Decode(base64Encode(bytes)) == bytes);
    CHECK(base64UrlDecode(base64UrlEncode(bytes)) == bytes);
    bytes += static_cast<char>(n * 37);
  }
  CHECK_FALSE(base64Decode("abc"));      // not a multiple of 4
  CHECK_FALSE(base64Decode("ab$d"));     // outside the alphabet
  CHECK_FALSE(base64Decode("YR=="));     // non-zero leftover bits
  CHECK_FALSE(base64UrlDecode("a+b/"));  // standard alphabet in a URL-safe token
}

TEST_CASE("guids drawn from a seeded random are well-formed version 4 and repeatable",
          "[emulator]") {
  SplitMix64 a(5), b(5), c(6);
  auto g = newGuid(a);
  CHECK(isGuid(g));
  CHECK(g[14] == '4');
  CHECK(g == newGuid(b));
  CHECK(g != newGuid(c));
  CHECK_FALSE(isGuid("not-a-guid"));
}
