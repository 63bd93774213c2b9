#include "common/teams_types.h"

#include <catch2/catch.hpp>

using namespace appkeeper;

TEST_CASE("the latest published definition ignores submitted and rejected ones", "[common]") {
  CatalogApp app;
  app.definitions = {{"a", "app", "1.9.0", "published", {}},
                     {"b", "app", "1.10.0", "published", {}},
                     {"c", "app", "2.0.0", "submitted", {}},
                     {"d", "app", "3.0.0", "rejected", {}}};
  const AppDefinition* latest = latestPublished(app);
  REQUIRE(latest != nullptr);
  CHECK(latest->version == "1.10.0");
}

TEST_CASE("an app with no published definition has no target", "[common]") {
  CatalogApp app;
  app.definitions = {{"c", "app", "2.0.0", "submitted", {}}};
  CHECK(latestPublished(app) == nullptr);
}

TEST_CASE("permission sets compare regardless of order and duplicates", "[common]") {
  std::vector<RscPermission> a{{"B", "application"}, {"A", "delegated"}, {"B", "application"}};
  std::vector<RscPermission> b{{"A", "delegated"}, {"B", "application"}};
  CHECK(normalized(a) == normalized(b));
  CHECK(hasApplicationPermission(a));
  CHECK_FALSE(hasApplicationPermission({{"A", "delegated"}}));
}
