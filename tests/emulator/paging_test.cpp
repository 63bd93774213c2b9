#include "emulator/paging.h"

#include <catch2/catch.hpp>

#include "emulator_test_support.h"

using namespace appkeeper::emulator;
using namespace appkeeper::emulator::testing;

TEST_CASE("a skiptoken round-trips for its own query only", "[emulator]") {
  auto req = makeRequest("GET", "/v1.0/teams?$top=3&$select=id");
  auto other = makeRequest("GET", "/v1.0/teams?$top=4&$select=id");
  auto token = encodeSkipToken(42, pagingBinding(req));
  CHECK(decodeSkipToken(token, pagingBinding(req)) == 42u);
  CHECK_FALSE(decodeSkipToken(token, pagingBinding(other)));
  std::string tampered = token;
  tampered[3] = tampered[3] == 'A' ? 'B' : 'A';
  CHECK_FALSE(decodeSkipToken(tampered, pagingBinding(req)));
  CHECK_FALSE(decodeSkipToken("garbage!", pagingBinding(req)));
}

TEST_CASE("a nextLink is absolute on the client's Host and keeps its parameters verbatim",
          "[emulator]") {
  auto req = makeRequest("GET", "/v1.0/teams?%24select=id&$top=3&$skiptoken=old");
  std::string link = nextLink(req, 6);
  CHECK(link.rfind("http://127.0.0.1:8080/v1.0/teams?%24select=id&$top=3&$skiptoken=", 0) == 0);
  CHECK(link.find("old") == std::string::npos);
}

TEST_CASE("a request that came over TLS gets an https nextLink", "[emulator][tls]") {
  auto req = makeRequest("GET", "/v1.0/teams?$top=3");
  req.scheme = "https";
  CHECK(nextLink(req, 3).rfind("https://127.0.0.1:8080/v1.0/teams?$top=3&$skiptoken=", 0) == 0);
  CHECK(requestOrigin(req) == "https://127.0.0.1:8080");
}
