#include "graph/id_token.h"

#include <catch2/catch.hpp>

using namespace appkeeper::graph;

// Payloads base64url-encoded without padding, as JWTs carry them.
// {"preferred_username":"admin@contoso.example","upn":"other@contoso.example"}
const char* kBothPayload =
    "eyJwcmVmZXJyZWRfdXNlcm5hbWUiOiJhZG1pbkBjb250b3NvLmV4YW1wbGUiLCJ1cG4iOiJvdGhlckBjb250b3NvLmV4"
    "YW1wbGUifQ";
// {"upn":"ünï@contoso.example","name":"A?>"}  (non-ASCII, and '?' '>' that become '_' '-')
const char* kUpnPayload = "eyJ1cG4iOiLDvG7Dr0Bjb250b3NvLmV4YW1wbGUiLCJuYW1lIjoiQT8-In0";

TEST_CASE("the account is preferred_username, else upn, from the id_token payload",
          "[graph][delegated]") {
  CHECK(accountFromIdToken(std::string("eyJhbGciOiJub25lIn0.") + kBothPayload + ".sig") ==
        "admin@contoso.example");
  CHECK(accountFromIdToken(std::string("eyJhbGciOiJub25lIn0.") + kUpnPayload + ".") ==
        "ünï@contoso.example");
}

TEST_CASE("a missing or malformed id_token names no account", "[graph][delegated]") {
  CHECK(accountFromIdToken("").empty());
  CHECK(accountFromIdToken("no-dots").empty());
  CHECK(accountFromIdToken("a.!!!.c").empty());
  CHECK(accountFromIdToken("a.bm90IGpzb24.c").empty());  // "not json"
  CHECK(accountFromIdToken("a.e30.c").empty());          // "{}"
}
