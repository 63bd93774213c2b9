#include "handlers/query_string.h"

#include <catch2/catch.hpp>

using namespace appkeeper::handlers;

TEST_CASE("a request target splits into its raw path and raw query", "[handlers]") {
  auto t = splitTarget("/graph/notifications?validationToken=a%2Bb&x=1#frag");
  CHECK(t.path == "/graph/notifications");
  CHECK(t.rawQuery == "validationToken=a%2Bb&x=1");
  auto plain = splitTarget("/healthz");
  CHECK(plain.path == "/healthz");
  CHECK(plain.rawQuery.empty());
}

TEST_CASE("query values are percent-decoded and plus means space", "[handlers]") {
  CHECK(decodeQueryComponent("Validation%3A%20Testing+client%20application") ==
        "Validation: Testing client application");
  CHECK(decodeQueryComponent("%3cscript%3E") == "<script>");
  CHECK(decodeQueryComponent("%2B") == "+");
}

TEST_CASE("malformed percent escapes are kept literally", "[handlers]") {
  CHECK(decodeQueryComponent("100%") == "100%");
  CHECK(decodeQueryComponent("%zz%4") == "%zz%4");
}

TEST_CASE("the first occurrence of a query parameter wins", "[handlers]") {
  auto q = parseQuery("a=1&b=two%20words&a=3&flag&&=empty-name");
  CHECK(q.at("a") == "1");
  CHECK(q.at("b") == "two words");
  CHECK(q.at("flag").empty());
  CHECK(q.at("") == "empty-name");
  CHECK(q.size() == 4);
}
