#include "emulator/odata_query.h"

#include <catch2/catch.hpp>

using namespace appkeeper::emulator;

TEST_CASE("$filter reads eq comparisons joined by and, with parentheses and escaped quotes",
          "[emulator]") {
  auto f = parseFilter("(teamsApp/id eq 'a') and distributionMethod EQ 'org''s'");
  REQUIRE(f);
  REQUIRE(f->size() == 2);
  CHECK((*f)[0] == FilterClause{"teamsApp/id", "a"});
  CHECK((*f)[1] == FilterClause{"distributionMethod", "org's"});
}

TEST_CASE("$filter refuses what the emulator cannot evaluate instead of ignoring it",
          "[emulator]") {
  for (const char* text : {"id eq 'a' or id eq 'b'", "id ne 'a'", "startswith(displayName,'A')",
                           "appDefinitions/any(a:a/bot ne null)", "id eq 'unterminated", "id eq 5",
                           "", "id eq 'a' and", "(id eq 'a'", "not id eq 'a'"}) {
    INFO(text);
    CHECK_FALSE(parseFilter(text));
  }
}

TEST_CASE("$expand reads names with a nested $select", "[emulator]") {
  auto e = parseExpand("teamsApp, appDefinitions($select=id,authorization)");
  REQUIRE(e);
  REQUIRE(e->size() == 2);
  CHECK((*e)[0].name == "teamsApp");
  CHECK_FALSE((*e)[0].select);
  CHECK((*e)[1].name == "appDefinitions");
  CHECK(*(*e)[1].select == std::vector<std::string>{"id", "authorization"});
  CHECK_FALSE(parseExpand("appDefinitions($expand=bot)"));
  CHECK_FALSE(parseExpand("appDefinitions($select=id"));
}

TEST_CASE("$top must be 1..999 and unknown system options are refused", "[emulator]") {
  CHECK(parseODataQuery({{"$top", "999"}})->top == 999u);
  CHECK_FALSE(parseODataQuery({{"$top", "1000"}}));
  CHECK_FALSE(parseODataQuery({{"$top", "0"}}));
  CHECK_FALSE(parseODataQuery({{"$top", "-1"}}));
  CHECK_FALSE(parseODataQuery({{"$orderby", "displayName"}}));
  CHECK(parseODataQuery({{"api-version", "1"}}));  // non-$ parameters are ignored, like Graph
  CHECK(parseODataQuery({{"$count", "true"}})->count);
}
