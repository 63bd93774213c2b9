#include "handlers/catalog_events.h"

#include <catch2/catch.hpp>

#include "fakes/fake_clock.h"
#include "handlers_test_support.h"
#include "nlohmann/json.hpp"

using namespace appkeeper;
using namespace appkeeper::handlers;
using appkeeper::testing::auditOf;
using appkeeper::testing::drainInbox;
using nlohmann::json;

namespace {

constexpr char kTenant[] = "11111111-2222-3333-4444-555555555555";
constexpr char kSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

json event(const std::string& teamsAppId = "app-1", const std::string& version = "1.4.0") {
  return {{"type", "teamsApp.published"},
          {"timestamp", "2026-11-29T10:00:00Z"},
          {"data", {{"tenantId", kTenant}, {"teamsAppId", teamsAppId}, {"version", version}}}};
}

std::string parseError(const json& body) {
  auto r = parseCatalogEvent(body.dump(), kTenant);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::kInvalidInput);
  return r.error().message;
}

struct CatalogFixture {
  testing::TempDir dir;
  testing::FakeClock clock;
  std::unique_ptr<store::Store> store = testing::openStore(dir.file("appkeeper.db"), clock);
  std::shared_ptr<spdlog::logger> logger = testing::nullLogger();
  WebhookKey key = WebhookKey::fromSecret(kSecret).value();

  std::string now() const {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count());
  }
  InboundRequest signedRequest(const std::string& body, const std::string& id) const {
    InboundRequest r = testing::jsonPost("/events/catalog", body);
    r.headers["webhook-id"] = id;
    r.headers["webhook-timestamp"] = now();
    r.headers["webhook-signature"] = signStandardWebhook(key, id, now(), body);
    return r;
  }
  InboundResponse send(const InboundRequest& r) {
    return handleCatalogEvent(r, {&key, kTenant, clock.now()}, *store, *logger);
  }
};

}  // namespace

TEST_CASE("a well-formed publish event parses", "[handlers]") {
  auto r = parseCatalogEvent(event().dump(), kTenant);
  REQUIRE(r.ok());
  CHECK(r->teamsAppId == "app-1");
  CHECK(r->externalId.empty());
  CHECK(r->version == "1.4.0");
  CHECK(r->tenantId == kTenant);
}

TEST_CASE("a publish event may name the app by externalId instead", "[handlers]") {
  json e = event();
  e["data"].erase("teamsAppId");
  e["data"]["externalId"] = "cf1ba4c7-f94e-4d80-ba90-5594b641a8ee";
  auto r = parseCatalogEvent(e.dump(), kTenant);
  REQUIRE(r.ok());
  CHECK(r->teamsAppId.empty());
  CHECK(r->externalId == "cf1ba4c7-f94e-4d80-ba90-5594b641a8ee");
}

TEST_CASE("publish events that are malformed are refused naming the field", "[handlers]") {
  CHECK(parseError(json::array()) == "body is not a JSON object");
  CHECK(parseError(event("app-1", "1.x")) == "data.version is not a valid version: 1.x");
  CHECK(parseError(event("app-1", "")) == "data.version is not a valid version: ");
  CHECK(parseError(event("")) ==
        "data.teamsAppId must be a non-empty string of at most 256 printable characters");
  CHECK(parseError(event(std::string(257, 'a'))) ==
        "data.teamsAppId must be a non-empty string of at most 256 printable characters");

  json noData = event();
  noData.erase("data");
  CHECK(parseError(noData) == "data is missing or not an object");

  json otherTenant = event();
  otherTenant["data"]["tenantId"] = "99999999-2222-3333-4444-555555555555";
  CHECK(parseError(otherTenant) == "data.tenantId is not the tenant this server manages");

  json both = event();
  both["data"]["externalId"] = "ext-1";
  CHECK(parseError(both) == "data must have exactly one of teamsAppId and externalId");
  json neither = event();
  neither["data"].erase("teamsAppId");
  CHECK(parseError(neither) == "data must have exactly one of teamsAppId and externalId");

  json numericId = event();
  numericId["data"]["teamsAppId"] = 7;
  CHECK(parseError(numericId) ==
        "data.teamsAppId must be a non-empty string of at most 256 printable characters");

  json otherType = event();
  otherType["type"] = "teamsApp.deleted";
  CHECK(parseError(otherType).rfind("unsupported event type", 0) == 0);

  json badTime = event();
  badTime["timestamp"] = "yesterday";
  CHECK(parseError(badTime) == "timestamp is not an RFC 3339 date-time: yesterday");

  json noVersion = event();
  noVersion["data"].erase("version");
  CHECK(parseError(noVersion) == "data.version is missing or not a string");

  CHECK_FALSE(parseCatalogEvent("{", kTenant).ok());
}

TEST_CASE("a signed publish event is persisted, audited and answered 202", "[handlers]") {
  CatalogFixture f;
  const std::string body = event().dump();
  auto r = f.send(f.signedRequest(body, "msg_1"));
  CHECK(r.status == 202);
  auto inbox = drainInbox(*f.store);
  REQUIRE(inbox.size() == 1);
  CHECK(inbox[0].kind == "catalog-event");
  CHECK(inbox[0].payload == body);
  auto accepted = auditOf(*f.store, "catalog-event", "accepted");
  REQUIRE(accepted.size() == 1);
  CHECK(accepted[0].teamsAppId == "app-1");
  CHECK(accepted[0].toVersion == "1.4.0");
  CHECK(accepted[0].tenantId == kTenant);
}

TEST_CASE("a repeated webhook-id is acknowledged with 200 and kept only once", "[handlers]") {
  CatalogFixture f;
  const std::string body = event().dump();
  CHECK(f.send(f.signedRequest(body, "msg_dup")).status == 202);
  CHECK(f.send(f.signedRequest(body, "msg_dup")).status == 200);
  CHECK(drainInbox(*f.store).size() == 1);
  CHECK(auditOf(*f.store, "catalog-event", "accepted").size() == 1);
  CHECK(auditOf(*f.store, "catalog-event", "duplicate").size() == 1);
}

TEST_CASE("an externalId publish event is accepted", "[handlers]") {
  CatalogFixture f;
  json e = event();
  e["data"].erase("teamsAppId");
  e["data"]["externalId"] = "cf1ba4c7-f94e-4d80-ba90-5594b641a8ee";
  CHECK(f.send(f.signedRequest(e.dump(), "msg_ext")).status == 202);
  CHECK(drainInbox(*f.store).size() == 1);
}

TEST_CASE("an unsigned or badly signed event is 401, audited and not kept", "[handlers]") {
  CatalogFixture f;
  InboundRequest r = f.signedRequest(event().dump(), "msg_forged");
  r.body = event("app-1", "9.9.9").dump();  // tampered after signing
  auto forged = f.send(r);
  CHECK(forged.status == 401);
  CHECK(forged.body == R"({"error":{"code":"unauthorized","message":"no signature matched"}})");

  InboundRequest noSignature = f.signedRequest(event().dump(), "msg_unsigned");
  noSignature.headers.erase("webhook-signature");
  auto missing = f.send(noSignature);
  CHECK(missing.status == 401);
  CHECK(json::parse(missing.body)["error"]["message"] == "missing webhook-signature header");

  InboundRequest stale = f.signedRequest(event().dump(), "msg_stale");
  f.clock.advance(std::chrono::minutes(6));
  auto old = f.send(stale);
  CHECK(old.status == 401);
  CHECK(json::parse(old.body)["error"]["message"] == "timestamp outside the 5-minute tolerance");

  CHECK(drainInbox(*f.store).empty());
  CHECK(auditOf(*f.store, "catalog-event", "rejected").size() == 3);
}

TEST_CASE("a signed but malformed event is 400, audited and not kept", "[handlers]") {
  CatalogFixture f;
  json wrongTenant = event();
  wrongTenant["data"]["tenantId"] = "someone-else";
  auto r = f.send(f.signedRequest(wrongTenant.dump(), "msg_tenant"));
  CHECK(r.status == 400);
  CHECK(
      r.body ==
      R"({"error":{"code":"badRequest","message":"data.tenantId is not the tenant this server manages"}})");
  auto badVersion = f.send(f.signedRequest(event("app-1", "v2").dump(), "msg_version"));
  CHECK(badVersion.status == 400);
  CHECK(json::parse(badVersion.body)["error"]["message"] ==
        "data.version is not a valid version: v2");
  CHECK(drainInbox(*f.store).empty());
  auto rejected = auditOf(*f.store, "catalog-event", "rejected");
  REQUIRE(rejected.size() == 2);
  CHECK(rejected[1].detail.find("data.version") != std::string::npos);
}

TEST_CASE("without a configured secret every catalog event is refused", "[handlers]") {
  CatalogFixture f;
  auto r = handleCatalogEvent(f.signedRequest(event().dump(), "msg_nokey"),
                              {nullptr, kTenant, f.clock.now()}, *f.store, *f.logger);
  CHECK(r.status == 401);
  CHECK(drainInbox(*f.store).empty());
}
