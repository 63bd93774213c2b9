#include "graph/url.h"

#include <catch2/catch.hpp>

using namespace appkeeper;
using namespace appkeeper::graph;

TEST_CASE("an absolute URL splits into origin and an untouched request target", "[graph][url]") {
  auto u = parseUrl("HTTP://127.0.0.1:8080/v1.0/teams?$skiptoken=a%2Fb%3D&$top=5#frag");
  REQUIRE(u.ok());
  CHECK(u->scheme == "http");
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == 8080);
  CHECK(u->target == "/v1.0/teams?$skiptoken=a%2Fb%3D&$top=5");
  CHECK(u->origin() == "http://127.0.0.1:8080");
}

TEST_CASE("default ports, bare hosts and IPv6 literals are understood", "[graph][url]") {
  auto https = parseUrl("https://graph.microsoft.com");
  REQUIRE(https.ok());
  CHECK(https->port == 443);
  CHECK(https->target == "/");
  auto query = parseUrl("http://example.test?x=1");
  REQUIRE(query.ok());
  CHECK(query->port == 80);
  CHECK(query->target == "/?x=1");
  auto v6 = parseUrl("http://[::1]:9000/a");
  REQUIRE(v6.ok());
  CHECK(v6->host == "::1");
  CHECK(v6->hostPort() == "[::1]:9000");
}

TEST_CASE("URLs that are not plain http(s) are invalid input", "[graph][url]") {
  for (const char* bad : {"", "graph.microsoft.com/v1.0", "ftp://host/x", "http://", "http://:80/",
                          "http://user:pw@host/", "http://host:0/", "http://host:65536/",
                          "http://host:12a/", "http://host:/", "http://[::1/", "http://ho st/"}) {
    INFO(bad);
    auto u = parseUrl(bad);
    REQUIRE_FALSE(u.ok());
    CHECK(u.error().kind == ErrorKind::kInvalidInput);
  }
}

TEST_CASE("path segments percent-encode base64 installation ids", "[graph][url]") {
  CHECK(encodePathSegment("MjA5ODhm/YTY0+Nw==") == "MjA5ODhm%2FYTY0%2BNw%3D%3D");
  CHECK(encodePathSegment("team id?#") == "team%20id%3F%23");
  CHECK(encodePathSegment("a-b.c_d~e") == "a-b.c_d~e");
}

TEST_CASE("OData string literals double single quotes and query values escape separators",
          "[graph][url]") {
  CHECK(odataString("O'Brien") == "'O''Brien'");
  CHECK(encodeQueryValue("id eq " + odataString("a&b=c+d#e")) == "id%20eq%20'a%26b%3Dc%2Bd%23e'");
  CHECK(encodeQueryValue("appDefinitions($select=id,version)") ==
        "appDefinitions($select%3Did,version)");
  CHECK(encodeQueryValue("teamsApp/id eq 'x'") == "teamsApp/id%20eq%20'x'");
}

TEST_CASE("form values encode every reserved character", "[graph][url]") {
  CHECK(encodeFormValue("a&b=c+d%e f") == "a%26b%3Dc%2Bd%25e%20f");
  CHECK(encodeFormValue("https://graph.microsoft.com/.default") ==
        "https%3A%2F%2Fgraph.microsoft.com%2F.default");
  CHECK(encodeFormValue("\xC3\xA9") == "%C3%A9");
}

TEST_CASE("a request target keeps its escapes but cannot smuggle a header", "[graph][url]") {
  CHECK(sanitizeRequestTarget("/teams?$skiptoken=a%2Fb") == "/teams?$skiptoken=a%2Fb");
  CHECK(sanitizeRequestTarget("/teams?x=1\r\nX-Evil: 1") == "/teams?x=1%0D%0AX-Evil:%201");
  CHECK(sanitizeRequestTarget("/a b\"<>") == "/a%20b%22%3C%3E");
}
