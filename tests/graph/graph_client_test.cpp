#include "graph/graph_client.h"

#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <utility>

#include "graph/graph_client_harness.h"

using namespace appkeeper;
using namespace appkeeper::graph;
using namespace appkeeper::testing;
using std::chrono::milliseconds;

namespace {

const std::string& kBase = kGraphBase;
using Harness = GraphClientHarness;
const char* const kInstallation = kInstallationJson;

}  // namespace

TEST_CASE("every Graph request carries the bearer token, a fresh client-request-id and Accept",
          "[graph][client]") {
  Harness h;
  h.net.respondJson(200, kInstallation, {{"request-id", "r1"}});
  h.net.respondJson(200, kInstallation);
  auto& client = h.make();
  REQUIRE(client.getInstallation("team-1", "aW5zdA==").ok());
  REQUIRE(client.getInstallation("team-1", "aW5zdA==").ok());
  auto requests = h.net.requests();
  REQUIRE(requests.size() == 2);
  const std::regex guid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  for (const auto& r : requests) {
    CHECK(r.method == "GET");
    CHECK(r.header("Authorization") == "Bearer token-1");
    CHECK(r.header("Accept") == "application/json");
    CHECK(std::regex_match(r.header("client-request-id"), guid));
  }
  CHECK(requests[0].header("client-request-id") != requests[1].header("client-request-id"));
  CHECK(h.tokens.calls() == 2);
}

TEST_CASE("an installation is fetched with its app and definition expanded", "[graph][client]") {
  Harness h;
  h.net.respondJson(200, kInstallation);
  auto installation = h.make().getInstallation("team-1", "aW5zdA==");
  REQUIRE(installation.ok());
  CHECK(installation->tenantId == "tenant-1");
  CHECK(installation->teamId == "team-1");
  CHECK(installation->installationId == "aW5zdA==");
  CHECK(installation->teamsAppId == "app-1");
  CHECK(installation->version == "1.0.0");
  CHECK(h.net.lastRequest().url ==
        kBase + "/teams/team-1/installedApps/aW5zdA%3D%3D?$expand=teamsApp,teamsAppDefinition");
}

TEST_CASE("a 401 refreshes the token once and the retry succeeds", "[graph][client]") {
  Harness h;
  h.net.respondJson(401,
                    graphErrorJson("InvalidAuthenticationToken", "", "Access token has expired"));
  h.net.respondJson(200, kInstallation);
  auto result = h.make().getInstallation("team-1", "i");
  REQUIRE(result.ok());
  CHECK(h.tokens.refreshes() == 1);
  auto requests = h.net.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].header("Authorization") == "Bearer token-1");
  CHECK(requests[1].header("Authorization") == "Bearer token-2");
  CHECK(h.sleeper.waits().empty());
}

TEST_CASE("a refreshed token revoked while in flight is refreshed once more", "[graph][client]") {
  Harness h;
  h.net.respondJson(401, graphErrorJson("InvalidAuthenticationToken", "", "token expired"));
  h.net.respondJson(401, graphErrorJson("InvalidAuthenticationToken", "", "token revoked"));
  h.net.respondJson(200, kInstallation);
  auto result = h.make().getInstallation("team-1", "i");
  REQUIRE(result.ok());
  CHECK(h.tokens.refreshes() == 2);
  auto requests = h.net.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[2].header("Authorization") == "Bearer token-3");
}

TEST_CASE("a 401 with every refreshed token is permanent and does not leak the token",
          "[graph][client]") {
  Harness h;
  h.net.respondJson(401, graphErrorJson("InvalidAuthenticationToken", "", "bad token token-1"));
  h.net.respondJson(401, graphErrorJson("InvalidAuthenticationToken", "", "bad token token-2"));
  h.net.respondJson(401, graphErrorJson("InvalidAuthenticationToken", "", "bad token token-3"));
  auto result = h.make().getInstallation("team-1", "i");
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == ErrorKind::kPermanent);
  CHECK(result.error().httpStatus == 401);
  CHECK(h.tokens.refreshes() == 2);
  CHECK(h.net.requestCount() == 3);
  CHECK_THAT(result.error().message, Catch::Contains("permissions"));
  CHECK(result.error().message.find("token-3") == std::string::npos);
}

TEST_CASE("tokens never appear in error messages of failing calls", "[graph][client]") {
  Harness h;
  h.options.maxGetAttempts = 1;
  h.net.respondJson(403,
                    graphErrorJson("Forbidden", "AccessDenied", "Bearer token-1 is not allowed"));
  h.net.fail(Error::transient("connection reset after sending Authorization: Bearer token-1"));
  h.net.respondJson(500, "token-1");
  auto& client = h.make();
  for (int i = 0; i < 3; ++i) {
    auto result = client.getInstallation("team-1", "i");
    REQUIRE_FALSE(result.ok());
    INFO(result.error().message);
    CHECK(result.error().message.find("token-1") == std::string::npos);
  }
}

TEST_CASE("a token error stops the call before anything is sent", "[graph][client]") {
  Harness h;
  h.tokens.failWith(Error::permanent("the token endpoint rejected the client credentials"));
  auto result = h.make().getInstallation("team-1", "i");
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == ErrorKind::kPermanent);
  CHECK(h.net.requestCount() == 0);
}

TEST_CASE("paging follows @odata.nextLink verbatim across three pages", "[graph][client]") {
  Harness h;
  const std::string next1 = kBase + "/teams?$select=id&$skiptoken=X%2FyZ%3D%3D&odd='a%20b'";
  const std::string next2 = kBase + "/teams?$skiptoken=RFNwdAIAAQAAAD8%3a&$select=id";
  h.net.respondJson(200, teamsPageJson({"t1", "t2"}, next1));
  h.net.respondJson(200, teamsPageJson({}, next2));  // an empty page in the middle is legal
  h.net.respondJson(200, teamsPageJson({"t3"}, ""));
  std::vector<std::string> seen;
  int pages = 0;
  auto status = h.make().forEachTeamPage([&](const std::vector<std::string>& ids) {
    ++pages;
    seen.insert(seen.end(), ids.begin(), ids.end());
    return true;
  });
  REQUIRE(status.ok());
  CHECK(pages == 3);
  CHECK(seen == std::vector<std::string>{"t1", "t2", "t3"});
  auto requests = h.net.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].url == kBase + "/teams?$select=id&$top=999");
  CHECK(requests[1].url == next1);
  CHECK(requests[2].url == next2);
}

TEST_CASE("forEachTeamPage stops when the callback returns false", "[graph][client]") {
  Harness h;
  h.net.respondJson(200, teamsPageJson({"t1"}, kBase + "/teams?$skiptoken=2"));
  h.net.respondJson(200, teamsPageJson({"t2"}, ""));
  int pages = 0;
  auto status = h.make().forEachTeamPage([&](const std::vector<std::string>&) {
    ++pages;
    return false;
  });
  REQUIRE(status.ok());
  CHECK(pages == 1);
  CHECK(h.net.requestCount() == 1);
}

TEST_CASE("a nextLink to another host is refused so the token stays home", "[graph][client]") {
  Harness h;
  h.net.respondJson(200, teamsPageJson({"t1"}, "https://evil.test/v1.0/teams?$skiptoken=2"));
  auto status = h.make().forEachTeamPage([](const std::vector<std::string>&) { return true; });
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().kind == ErrorKind::kPermanent);
  CHECK_THAT(status.error().message, Catch::Contains("nextLink"));
  CHECK(h.net.requestCount() == 1);
}

TEST_CASE("a nextLink that points at the same page ends the loop with an error",
          "[graph][client]") {
  Harness h;
  h.net.setHandler([](const HttpRequest&) -> Result<HttpResponse> {
    return HttpResponse{200, {}, teamsPageJson({"t"}, kBase + "/teams?$select=id&$top=999")};
  });
  auto status = h.make().forEachTeamPage([](const std::vector<std::string>&) { return true; });
  REQUIRE_FALSE(status.ok());
  CHECK(h.net.requestCount() == 1);
}

TEST_CASE("getCatalogApp falls back to the externalId", "[graph][client]") {
  Harness h;
  h.net.respondJson(200, R"({"value":[]})");
  h.net.respondJson(200, R"({"value":[{"id":"catalog-1","externalId":"O'Brien",
    "distributionMethod":"organization","appDefinitions":[{"id":"d1","version":"1.2.0",
    "publishingState":"published","authorization":{"requiredPermissionSet":{
    "resourceSpecificPermissions":[{"permissionValue":"TeamSettings.Read.Group",
    "permissionType":"application"}]}}}]}]})");
  auto app = h.make().getCatalogApp("O'Brien");
  REQUIRE(app.ok());
  CHECK(app->id == "catalog-1");
  REQUIRE(app->definitions.size() == 1);
  CHECK(app->definitions[0].rsc ==
        std::vector<RscPermission>{{"TeamSettings.Read.Group", "application"}});
  auto requests = h.net.requests();
  REQUIRE(requests.size() == 2);
  const std::string expand =
      "&$expand=appDefinitions($select%3Did,teamsAppId,version,publishingState,authorization)";
  CHECK(requests[0].url == kBase + "/appCatalogs/teamsApps?$filter=id%20eq%20'O''Brien'" + expand);
  CHECK(requests[1].url ==
        kBase + "/appCatalogs/teamsApps?$filter=externalId%20eq%20'O''Brien'" + expand);
}

TEST_CASE("an app that is in the catalog under neither id is a permanent 404", "[graph][client]") {
  Harness h;
  h.net.respondJson(200, R"({"value":[]})");
  h.net.respondJson(200, R"({"value":[]})");
  auto app = h.make().getCatalogApp("missing");
  REQUIRE_FALSE(app.ok());
  CHECK(app.error().kind == ErrorKind::kPermanent);
  CHECK(app.error().httpStatus == 404);
}

TEST_CASE("organization apps are listed across pages", "[graph][client]") {
  Harness h;
  h.net.respondJson(200, R"({"value":[{"id":"a"}],"@odata.nextLink":")" + kBase +
                             R"(/appCatalogs/teamsApps?$skiptoken=p2"})");
  h.net.respondJson(200, R"({"value":[{"id":"b","appDefinitions":null}]})");
  auto apps = h.make().listOrganizationApps();
  REQUIRE(apps.ok());
  REQUIRE(apps->size() == 2);
  CHECK((*apps)[1].id == "b");
  CHECK(h.net.requests()[0].url ==
        kBase +
            "/appCatalogs/teamsApps?$filter=distributionMethod%20eq%20'organization'"
            "&$expand=appDefinitions($select%3Did,teamsAppId,version,publishingState,"
            "authorization)");
}

TEST_CASE("team and installation ids are percent-encoded in paths and filters", "[graph][client]") {
  Harness h;
  h.net.respondJson(200, R"({"value":[)" + std::string(kInstallation) + "]}");
  auto list = h.make().listTeamInstallations("team/1+2", "app'&=x");
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  CHECK((*list)[0].teamId == "team/1+2");
  CHECK(h.net.lastRequest().url ==
        kBase +
            "/teams/team%2F1%2B2/installedApps?$expand=teamsApp,"
            "teamsAppDefinition&$filter=teamsApp/id%20eq%20'app''%26%3Dx'");
}

TEST_CASE("transient GET failures are retried with full-jitter exponential backoff",
          "[graph][client]") {
  Harness h;
  h.options.maxGetAttempts = 4;
  h.options.backoffBase = milliseconds(500);
  h.net.respondJson(503, graphErrorJson("ServiceUnavailable", ""));
  h.net.fail(Error::transient("HTTP request to graph.test:443 timed out after 30000 ms"));
  h.net.respondJson(400, graphErrorJson("BadRequest", ""));  // Decision 10's transient 400
  h.net.respondJson(200, kInstallation);
  h.random.script = {100, 700, 1500};
  auto result = h.make().getInstallation("team-1", "i");
  REQUIRE(result.ok());
  CHECK(h.net.requestCount() == 4);
  CHECK(h.random.bounds == std::vector<uint64_t>{501, 1001, 2001});
  CHECK(h.sleeper.waits() ==
        std::vector<milliseconds>{milliseconds(100), milliseconds(700), milliseconds(1500)});
}

TEST_CASE("a GET gives up after maxGetAttempts with the last error", "[graph][client]") {
  Harness h;
  h.options.maxGetAttempts = 3;
  h.net.setHandler([](const HttpRequest&) -> Result<HttpResponse> {
    return HttpResponse{502, {{"request-id", "r-502"}}, "Bad gateway"};
  });
  auto result = h.make().getInstallation("team-1", "i");
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == ErrorKind::kTransient);
  CHECK(result.error().httpStatus == 502);
  CHECK(result.error().requestId == "r-502");
  CHECK(h.net.requestCount() == 3);
  CHECK(h.sleeper.waits().size() == 2);
}

TEST_CASE("Retry-After wins over the computed backoff", "[graph][client]") {
  Harness h;
  h.net.respondJson(503, graphErrorJson("ServiceUnavailable", ""), {{"Retry-After", "3"}});
  h.net.respondJson(200, kInstallation);
  REQUIRE(h.make().getInstallation("team-1", "i").ok());
  CHECK(h.sleeper.waits() == std::vector<milliseconds>{milliseconds(3000)});
  CHECK(h.random.bounds.empty());
}

TEST_CASE("a Retry-After beyond the backoff cap is handed back instead of slept",
          "[graph][client]") {
  Harness h;
  h.options.backoffCap = milliseconds(10'000);
  h.net.respondJson(503, graphErrorJson("ServiceUnavailable", ""), {{"Retry-After", "120"}});
  auto result = h.make().getInstallation("team-1", "i");
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().retryAfter == milliseconds(120'000));
  CHECK(h.net.requestCount() == 1);
  CHECK(h.sleeper.waits().empty());
}

TEST_CASE("a 429 pauses the whole tenant on the limiter for Retry-After", "[graph][client]") {
  Harness h;
  h.options.maxGetAttempts = 1;
  h.net.respondJson(429, graphErrorJson("TooManyRequests", ""), {{"Retry-After", "2"}});
  h.net.respond(204, "");
  auto& client = h.make();
  auto throttled = client.getInstallation("team-1", "i");
  REQUIRE_FALSE(throttled.ok());
  CHECK(throttled.error().kind == ErrorKind::kTransient);
  CHECK(throttled.error().code == "TooManyRequests");
  // Another worker's POST for another team waits out the pause.
  REQUIRE(client.upgrade("team-2", "j", std::nullopt).ok());
  CHECK(h.sleeper.waits() == std::vector<milliseconds>{milliseconds(2000)});
  CHECK(h.limiter.totalWait() == milliseconds(2000));
}

TEST_CASE("a retried 429 waits through the limiter pause, not twice", "[graph][client]") {
  Harness h;
  h.net.respondJson(429, graphErrorJson("TooManyRequests", ""), {{"Retry-After", "2"}});
  h.net.respondJson(200, kInstallation);
  REQUIRE(h.make().getInstallation("team-1", "i").ok());
  CHECK(h.sleeper.waits() == std::vector<milliseconds>{milliseconds(2000)});
}

namespace {
// A Sleeper whose first sleep runs `duringFirstSleep` (another worker's call landing meanwhile)
// before the FakeSleeper advances the clock.
class GraphClientTestInterleavingSleeper final : public Sleeper {
 public:
  GraphClientTestInterleavingSleeper(FakeSleeper& inner, std::function<void()> duringFirstSleep)
      : inner_(inner), duringFirstSleep_(std::move(duringFirstSleep)) {}
  bool sleepFor(milliseconds d) override {
    if (auto hook = std::exchange(duringFirstSleep_, nullptr)) hook();
    return inner_.sleepFor(d);
  }

 private:
  FakeSleeper& inner_;
  std::function<void()> duringFirstSleep_;
};
}  // namespace

// Regression (bench/RESULTS.md, fan-out at 0.97 x budget): slots handed out before a 429 fired
// during its pause and drew more 429s, each pausing the tenant again.
TEST_CASE(
    "a request asleep on its slot when a 429 pauses the tenant is not sent before the pause ends",
    "[graph][client]") {
  Harness h;
  h.options.maxGetAttempts = 1;
  h.limiter.setLimits({10, 10, 0});
  (void)h.limiter.reserve(Budget::kPost, "");  // the POST slot at 0 is taken: ours is at 100 ms
  std::vector<std::pair<std::string, int64_t>> sent;  // method, fake-clock ms
  h.net.setHandler([&](const HttpRequest& request) -> Result<HttpResponse> {
    sent.emplace_back(request.method, h.clock.steadyNow().time_since_epoch() / milliseconds(1));
    if (request.method == "GET") return HttpResponse{429, {{"Retry-After", "2"}}, ""};
    return HttpResponse{204, {}, ""};
  });
  const int64_t start = h.clock.steadyNow().time_since_epoch() / milliseconds(1);
  std::unique_ptr<GraphClient> client;
  GraphClientTestInterleavingSleeper sleeper(h.sleeper, [&] {
    // Another worker's GET is throttled while the upgrade sleeps: the tenant pauses for 2 s.
    CHECK_FALSE(client->getInstallation("team-2", "j").ok());
  });
  client = std::make_unique<GraphClient>(h.options, h.net, h.tokens, h.limiter, h.clock, sleeper,
                                         h.random);
  REQUIRE(client->upgrade("team-1", "i", std::nullopt).ok());
  REQUIRE(sent.size() == 2);
  CHECK(sent[0] == std::pair<std::string, int64_t>{"GET", start});
  // The upgrade woke at 100 ms inside the pause and took a new slot at its end.
  CHECK(sent[1] == std::pair<std::string, int64_t>{"POST", start + 2000});
  CHECK(h.sleeper.waits() == std::vector<milliseconds>{milliseconds(100), milliseconds(1900)});
}

TEST_CASE("a 429 without Retry-After pauses for a backoff delay", "[graph][client]") {
  Harness h;
  h.options.maxGetAttempts = 1;
  h.net.respondJson(429, graphErrorJson("TooManyRequests", ""));
  h.random.script = {321};
  auto result = h.make().getInstallation("team-1", "i");
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().retryAfter == milliseconds(321));
  CHECK(h.limiter.reserve(Budget::kGet, "").count() == 321);
}

TEST_CASE("permanent Graph errors are not retried", "[graph][client]") {
  for (int status : {400, 403, 404, 409}) {
    Harness h;
    h.net.respondJson(status,
                      graphErrorJson(status == 400 ? "BadRequest" : "Forbidden",
                                     status == 400 ? "InvalidRequest" : "AccessDenied"),
                      {{"request-id", "req-hdr"}});
    auto result = h.make().getInstallation("team-1", "i");
    INFO(status);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::kPermanent);
    CHECK(result.error().httpStatus == status);
    CHECK(result.error().requestId == "req-hdr");
    CHECK(h.net.requestCount() == 1);
  }
}

TEST_CASE("a 200 GET whose body is not JSON is transient and retried", "[graph][client]") {
  Harness h;
  h.net.respond(200, "<html>captive portal</html>");
  h.net.respondJson(200, kInstallation);
  REQUIRE(h.make().getInstallation("team-1", "i").ok());
  CHECK(h.net.requestCount() == 2);

  Harness once;
  once.options.maxGetAttempts = 1;
  once.net.respond(200, "<html>captive portal</html>");
  auto result = once.make().getInstallation("team-1", "i");
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == ErrorKind::kTransient);
  CHECK_THAT(result.error().message,
             Catch::Contains("Graph answered with a body that is not JSON"));
}

TEST_CASE("an upgrade with consent posts the consentedPermissionSet", "[graph][client]") {
  Harness h;
  h.net.respond(204, "", {{"request-id", "up-1"}});
  std::vector<RscPermission> consent{{"Channel.Create.Group", "application"},
                                     {"ChannelMeeting.ReadBasic.Group", "delegated"}};
  auto result = h.make().upgrade("team-1", "MjA5/ODhm+Zg==", consent);
  REQUIRE(result.ok());
  CHECK(result->httpStatus == 204);
  CHECK(result->requestId == "up-1");
  auto r = h.net.lastRequest();
  CHECK(r.method == "POST");
  CHECK(r.url == kBase + "/teams/team-1/installedApps/MjA5%2FODhm%2BZg%3D%3D/upgrade");
  CHECK(r.header("Content-Type") == "application/json");
  CHECK(nlohmann::json::parse(r.body) ==
        nlohmann::json::parse(R"({"consentedPermissionSet":{"resourceSpecificPermissions":[
          {"permissionValue":"Channel.Create.Group","permissionType":"application"},
          {"permissionValue":"ChannelMeeting.ReadBasic.Group","permissionType":"delegated"}]}})"));
}

TEST_CASE("an upgrade without consent sends no body", "[graph][client]") {
  Harness h;
  h.net.respond(200, "");  // any 2xx counts as success
  auto result = h.make().upgrade("team-1", "i", std::nullopt);
  REQUIRE(result.ok());
  CHECK(result->httpStatus == 200);
  auto r = h.net.lastRequest();
  CHECK(r.method == "POST");
  CHECK(r.body.empty());
  CHECK_FALSE(r.hasHeader("Content-Type"));
}

TEST_CASE("an upgrade is never retried inside the client, even on 503", "[graph][client]") {
  Harness h;
  h.net.respondJson(503, graphErrorJson("ServiceUnavailable", ""), {{"Retry-After", "1"}});
  auto result = h.make().upgrade("team-1", "i", std::nullopt);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == ErrorKind::kTransient);
  CHECK(result.error().retryAfter == milliseconds(1000));
  CHECK(h.net.requestCount() == 1);
  CHECK(h.sleeper.waits().empty());
}

TEST_CASE("an upgrade refreshes the token once on 401", "[graph][client]") {
  Harness h;
  h.net.respondJson(401, graphErrorJson("InvalidAuthenticationToken", ""));
  h.net.respond(204, "");
  REQUIRE(h.make().upgrade("team-1", "i", std::nullopt).ok());
  CHECK(h.net.requestCount() == 2);
  CHECK(h.tokens.refreshes() == 1);
}

TEST_CASE("the consent-mismatch 400 on upgrade is permanent", "[graph][client]") {
  Harness h;
  h.net.respondJson(
      400, graphErrorJson("BadRequest", "InvalidRequest",
                          "The required permissions have not been consented to by the caller."));
  auto result = h.make().upgrade("team-1", "i", std::vector<RscPermission>{});
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == ErrorKind::kPermanent);
  CHECK(result.error().innerCode == "InvalidRequest");
}

TEST_CASE("an upgrade can use a delegated token source instead of the app-only one",
          "[graph][client]") {
  Harness h;
  FakeTokenSource delegated("delegated-");
  h.net.respond(204, "");
  REQUIRE(h.make().upgrade("team-1", "i", std::nullopt, &delegated).ok());
  CHECK(h.net.lastRequest().header("Authorization") == "Bearer delegated-1");
  CHECK(h.tokens.calls() == 0);
}

TEST_CASE("per-team rate slots are waited for through the sleeper", "[graph][client]") {
  Harness h;
  h.limiter.setLimits({100, 100, 4});
  h.net.setHandler([](const HttpRequest&) -> Result<HttpResponse> {
    return HttpResponse{204, {}, ""};
  });
  auto& client = h.make();
  for (int i = 0; i < 5; ++i) REQUIRE(client.upgrade("team-1", "i", std::nullopt).ok());
  // The fake sleeper advances the clock: the POST budget's 10 ms slots, then the fifth waits
  // for the team's window (4 per 1.1 s) to pass its first request.
  CHECK(h.sleeper.waits() == std::vector<milliseconds>{milliseconds(10), milliseconds(10),
                                                       milliseconds(10), milliseconds(1070)});
}

TEST_CASE("a cancelled wait ends the call with the Cancelled code", "[graph][client]") {
  Harness h;
  h.sleeper.cancelAfter(0);
  h.net.setHandler([](const HttpRequest&) -> Result<HttpResponse> {
    return HttpResponse{503, {}, ""};
  });
  auto result = h.make().getInstallation("team-1", "i");
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == ErrorKind::kTransient);
  CHECK(result.error().code == kCancelledCode);
  CHECK(h.net.requestCount() == 1);
}

TEST_CASE("an upgrade answered 200 with an HTML page is transient, not done", "[graph][client]") {
  Harness h;
  h.net.respond(200, "<!DOCTYPE html><html><body>Service unavailable</body></html>",
                {{"request-id", "up-html"}});
  auto result = h.make().upgrade("team-1", "i", std::nullopt);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == ErrorKind::kTransient);
  CHECK(result.error().httpStatus == 200);
  CHECK(result.error().requestId == "up-html");
  CHECK_THAT(result.error().message, Catch::Contains("may not have taken effect"));
  CHECK(h.net.requestCount() == 1);  // still never retried inside the client

  Harness json;
  json.net.respond(200, R"({"status":"ok"})");
  CHECK(json.make().upgrade("team-1", "i", std::nullopt).ok());
}

TEST_CASE("a token endpoint that fails transiently is marked TokenUnavailable, nothing is sent",
          "[graph][client]") {
  Harness h;
  h.options.maxGetAttempts = 1;
  Error outage = Error::transient("the token endpoint is unavailable (HTTP 503)");
  outage.code = "temporarily_unavailable";
  outage.httpStatus = 503;
  h.tokens.failWith(outage);
  auto result = h.make().upgrade("team-1", "i", std::nullopt);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == ErrorKind::kTransient);
  CHECK(result.error().code == kTokenUnavailableCode);
  CHECK(result.error().httpStatus == 503);
  CHECK(h.net.requestCount() == 0);

  Harness rejected;
  Error badSecret = Error::permanent("the token endpoint rejected the client credentials");
  badSecret.code = "invalid_client";
  rejected.tokens.failWith(badSecret);
  auto refused = rejected.make().getInstallation("team-1", "i");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == "invalid_client");  // permanent: left as it is
}
