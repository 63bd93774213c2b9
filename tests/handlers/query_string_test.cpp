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

TEST_CASE("a path is logged with control and non-ASCII bytes escaped, and bounded", "[handlers]") {
  // An unauthenticated request line may carry ESC sequences (they would clear or recolour the
  // terminal of an admin reading the log) and invalid UTF-8.
  CHECK(loggablePath("/\x1b[2J\x1b[31mowned") == "/%1B[2J%1B[31mowned");
  CHECK(loggablePath("/a\tb\x7f\xff\xc3\x28") == "/a%09b%7F%FF%C3(");
  CHECK(loggablePath("/graph/notifications") == "/graph/notifications");
  CHECK(loggablePath(std::string(200, 'a')) == std::string(128, 'a') + "...");
  CHECK(loggablePath("/abcdef", 3) == "/ab...");
  CHECK(loggablePath("") == "");
}
