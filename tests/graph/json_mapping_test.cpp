#include "graph/json_mapping.h"

#include <catch2/catch.hpp>

using namespace appkeeper;
using namespace appkeeper::graph;
using nlohmann::json;

TEST_CASE("a catalog app maps with its definitions and RSC permissions", "[graph][json]") {
  auto app = catalogAppFromJson(json::parse(R"({
    "id": "a5228c26", "externalId": "cf1ba4c7", "displayName": "Contoso",
    "distributionMethod": "organization",
    "appDefinitions": [
      {"id": "ZGVmMQ==", "teamsAppId": "a5228c26", "version": "1.0.0", "publishingState": "published",
       "authorization": {"requiredPermissionSet": {"resourceSpecificPermissions": [
         {"permissionValue": "Channel.Create.Group", "permissionType": "Application"},
         {"permissionValue": "ChannelMeeting.ReadBasic.Group", "permissionType": "delegated"}]}}},
      {"id": "ZGVmMg==", "version": "1.1.0", "publishingState": "Submitted",
       "authorization": {"requiredPermissionSet": {"resourceSpecificPermissions": []}}}
    ]})"));
  REQUIRE(app.ok());
  CHECK(app->id == "a5228c26");
  CHECK(app->externalId == "cf1ba4c7");
  CHECK(app->displayName == "Contoso");
  CHECK(app->distributionMethod == "organization");
  REQUIRE(app->definitions.size() == 2);
  const AppDefinition& d = app->definitions[0];
  CHECK(d.id == "ZGVmMQ==");
  CHECK(d.version == "1.0.0");
  CHECK(d.publishingState == "published");
  CHECK(d.rsc == std::vector<RscPermission>{{"Channel.Create.Group", "application"},
                                            {"ChannelMeeting.ReadBasic.Group", "delegated"}});
  // teamsAppId left out by $select defaults to the app id; states are lower-cased.
  CHECK(app->definitions[1].teamsAppId == "a5228c26");
  CHECK(app->definitions[1].publishingState == "submitted");
  CHECK(app->definitions[1].rsc.empty());
}

TEST_CASE("missing optional fields and nulls are tolerated", "[graph][json]") {
  auto app = catalogAppFromJson(json::parse(R"({
    "id": "x", "externalId": null, "displayName": null,
    "appDefinitions": [
      {"id": "d1", "version": "1.0", "authorization": null},
      {"id": "d2", "authorization": {"requiredPermissionSet": null}},
      {"id": "d3", "authorization": {"requiredPermissionSet": {"resourceSpecificPermissions": null}},
       "createdBy": null, "lastModifiedDateTime": null, "@odata.etag": "abc"}
    ]})"));
  REQUIRE(app.ok());
  CHECK(app->externalId.empty());
  CHECK(app->definitions.size() == 3);
  auto bare = catalogAppFromJson(json::parse(R"({"id": "y"})"));
  REQUIRE(bare.ok());
  CHECK(bare->definitions.empty());
}

TEST_CASE("wrong types and missing ids are errors naming the field, not exceptions",
          "[graph][json]") {
  struct Case {
    const char* body;
    const char* mentions;
  };
  for (const Case& c :
       {Case{R"({"displayName": "no id"})", "id"}, Case{R"({"id": 5})", "teamsApp.id"},
        Case{R"({"id": "a", "appDefinitions": {}})", "appDefinitions"},
        Case{R"({"id": "a", "appDefinitions": [{"id": "d", "version": 1}]})",
             "appDefinitions[0].version"},
        Case{R"({"id": "a", "appDefinitions": [{"id": "d", "authorization":
                                {"requiredPermissionSet": {"resourceSpecificPermissions":
                                [{"permissionValue": "X"}]}}}]})",
             "permissionType"},
        Case{R"("just a string")", "teamsApp"}}) {
    INFO(c.body);
    auto app = catalogAppFromJson(json::parse(c.body));
    REQUIRE_FALSE(app.ok());
    CHECK(app.error().kind == ErrorKind::kPermanent);
    CHECK_THAT(app.error().message, Catch::Contains(c.mentions));
  }
}

TEST_CASE("an installation maps the expanded app and definition", "[graph][json]") {
  auto inst = installationFromJson(json::parse(R"({
    "id": "NjkwM2ZhOTMjIzAwMDA=",
    "teamsApp": {"id": "00001016", "externalId": null, "displayName": "App"},
    "teamsAppDefinition": {"id": "ZGVm", "teamsAppId": "00001016", "version": "1.0.2"}})"),
                                   "tenant-1", "team-1");
  REQUIRE(inst.ok());
  CHECK(inst->tenantId == "tenant-1");
  CHECK(inst->teamId == "team-1");
  CHECK(inst->installationId == "NjkwM2ZhOTMjIzAwMDA=");
  CHECK(inst->teamsAppId == "00001016");
  CHECK(inst->definitionId == "ZGVm");
  CHECK(inst->version == "1.0.2");
}

TEST_CASE("an installation without teamsApp takes the app id from its definition",
          "[graph][json]") {
  auto inst = installationFromJson(json::parse(R"({"id": "i", "teamsApp": null,
                      "teamsAppDefinition": {"id": "d", "teamsAppId": "app", "version": "2.0"}})"),
                                   "t", "team");
  REQUIRE(inst.ok());
  CHECK(inst->teamsAppId == "app");
  auto bad =
      installationFromJson(json::parse(R"({"id": "i", "teamsAppDefinition": []})"), "t", "x");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().message, Catch::Contains("teamsAppDefinition"));
}

TEST_CASE("a page needs a value array and may carry a next link", "[graph][json]") {
  auto page = pageFromJson(json::parse(R"({"value":[{"id":"a"}],"@odata.nextLink":"http://x/n"})"),
                           "GET /teams");
  REQUIRE(page.ok());
  CHECK(page->items.size() == 1);
  CHECK(page->nextLink == "http://x/n");
  auto missing = pageFromJson(json::parse(R"({"values":[]})"), "GET /teams");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::kPermanent);
}

TEST_CASE("a body that is not JSON is a transient error", "[graph][json]") {
  auto body = parseJsonObject("<html>proxy error</html>", "GET /teams");
  REQUIRE_FALSE(body.ok());
  CHECK(body.error().kind == ErrorKind::kTransient);
  CHECK_THAT(body.error().message, Catch::Contains("Graph answered with a body that is not JSON"));
}

TEST_CASE("the consent body lists every permission with value and type", "[graph][json]") {
  auto body = json::parse(consentBody(
      {{"Channel.Create.Group", "application"}, {"ChannelMeeting.ReadBasic.Group", "delegated"}}));
  CHECK(body == json::parse(R"({"consentedPermissionSet":{"resourceSpecificPermissions":[
    {"permissionValue":"Channel.Create.Group","permissionType":"application"},
    {"permissionValue":"ChannelMeeting.ReadBasic.Group","permissionType":"delegated"}]}})"));
}
