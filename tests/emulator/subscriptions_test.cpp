// SubscriptionService against a real webhook receiver: a Poco HTTPServer on 127.0.0.1 port 0
// that records every request and answers validation requests the way each test asks.
// Deliveries are driven with runDeliveryOnce() and a FakeClock where exact retry timing matters;
// one test uses the background thread and waits on the receiver with a deadline.
#include "emulator/subscriptions.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "emulator/notifier.h"
#include "fakes/fake_clock.h"

namespace {

using appkeeper::SystemRandom;
using appkeeper::WallTime;
using appkeeper::emulator::formatGraphDateTime;
using appkeeper::emulator::Request;
using appkeeper::emulator::RequestContext;
using appkeeper::emulator::Response;
using appkeeper::emulator::SubscriptionOptions;
using appkeeper::emulator::SubscriptionService;
using appkeeper::testing::FakeClock;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kTenant = "11111111-1111-1111-1111-111111111111";
constexpr const char* kApp = "22222222-2222-2222-2222-222222222222";
constexpr const char* kOtherApp = "33333333-3333-3333-3333-333333333333";
constexpr const char* kTeamsApp = "19d56a5e-86a2-489b-aa5c-88a60f92b83e";
constexpr const char* kClientState = "s3cret-client-state";
constexpr const char* kValidationFailedPrefix =
    "Subscription validation request failed. Notification endpoint must respond with 200 OK to "
    "validation request.";

std::string formDecode(const std::string& s) {
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

struct Received {
  std::string path;
  std::string rawQuery;
  std::string contentType;
  std::string body;
  bool isValidation = false;
  std::string rawToken;      // validationToken as it appeared in the query
  std::string decodedToken;  // form-decoded
};

enum class ValidationMode { kEchoDecoded, kEchoRaw, kWrongEcho, kStatus500, kHang };

// A webhook receiver. Thread-safe; every wait has a deadline.
class Receiver {
 public:
  Receiver() : pool_(2, 16) {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    port_ = socket.address().port();
    auto params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(false);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(this), pool_, socket, params);
    server_->start();
  }
  ~Receiver() {
    {
      std::lock_guard lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
    server_->stopAll(true);
    pool_.joinAll();
  }

  std::string url(const std::string& pathAndQuery) const {
    return "http://127.0.0.1:" + std::to_string(port_) + pathAndQuery;
  }
  void setValidationMode(ValidationMode m) {
    std::lock_guard lock(mu_);
    mode_ = m;
  }
  // The next notification POSTs to `path` get these statuses (then 202).
  void scriptStatuses(const std::string& path, std::deque<int> statuses) {
    std::lock_guard lock(mu_);
    scripted_[path] = std::move(statuses);
  }
  std::vector<Received> all() const {
    std::lock_guard lock(mu_);
    return received_;
  }
  std::vector<Received> validations() const {
    std::vector<Received> out;
    for (auto& r : all()) {
      if (r.isValidation) out.push_back(r);
    }
    return out;
  }
  // Notification POST bodies received on `path`, parsed.
  std::vector<json> notifications(const std::string& path) const {
    std::vector<json> out;
    for (auto& r : all()) {
      if (!r.isValidation && r.path == path) out.push_back(json::parse(r.body));
    }
    return out;
  }
  // Waits until `n` notification POSTs reached `path`, at most `deadline`.
  bool waitForNotifications(const std::string& path, size_t n,
                            std::chrono::milliseconds deadline = 5000ms) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, deadline, [&] {
      size_t count = 0;
      for (auto& r : received_) count += (!r.isValidation && r.path == path) ? 1 : 0;
      return count >= n;
    });
  }

 private:
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(Receiver* r) : r_(r) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& resp) override {
      r_->serve(req, resp);
    }

   private:
    Receiver* r_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(Receiver* r) : r_(r) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(r_);
    }

   private:
    Receiver* r_;
  };

  void serve(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
    Received rec;
    std::string target = req.getURI();
    auto q = target.find('?');
    rec.path = target.substr(0, q);
    rec.rawQuery = q == std::string::npos ? "" : target.substr(q + 1);
    rec.contentType = req.getContentType();
    Poco::StreamCopier::copyToString(req.stream(), rec.body);
    auto at = rec.rawQuery.find("validationToken=");
    if (at != std::string::npos) {
      rec.isValidation = true;
      rec.rawToken = rec.rawQuery.substr(at + 16, rec.rawQuery.find('&', at) - (at + 16));
      rec.decodedToken = formDecode(rec.rawToken);
    }
    ValidationMode mode;
    int status = 202;
    {
      std::lock_guard lock(mu_);
      mode = mode_;
      if (!rec.isValidation) {
        auto& script = scripted_[rec.path];
        if (!script.empty()) {
          status = script.front();
          script.pop_front();
        }
      }
      received_.push_back(rec);
    }
    cv_.notify_all();

    if (!rec.isValidation) {
      resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
      resp.setContentLength(0);
      resp.send();
      return;
    }
    std::string answer = rec.decodedToken;
    resp.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
    switch (mode) {
      case ValidationMode::kEchoDecoded:
        break;
      case ValidationMode::kEchoRaw:
        answer = rec.rawToken;
        break;
      case ValidationMode::kWrongEcho:
        answer = "not-the-token";
        break;
      case ValidationMode::kStatus500:
        resp.setStatus(Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR);
        break;
      case ValidationMode::kHang: {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, 10s, [this] { return released_; });
        break;
      }
    }
    resp.setContentType("text/plain");
    resp.sendBuffer(answer.data(), answer.size());
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Received> received_;                      // guarded by mu_
  ValidationMode mode_ = ValidationMode::kEchoDecoded;  // guarded by mu_
  std::map<std::string, std::deque<int>> scripted_;     // guarded by mu_
  bool released_ = false;                               // guarded by mu_
  Poco::ThreadPool pool_;
  uint16_t port_ = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

RequestContext ctx() { return {"aaaaaaaa-0000-4000-8000-000000000001", "", "2030-01-01T00:00:00"}; }

Request request(const std::string& method, const std::string& subPath, const json& body = nullptr) {
  Request r;
  r.method = method;
  r.path = "/v1.0" + subPath;
  r.headers["host"] = "127.0.0.1:9";
  if (!body.is_null()) r.body = body.dump();
  return r;
}

// A service on a FakeClock with fast timeouts; deliveries only through runDeliveryOnce().
struct Fixture {
  FakeClock clock;
  appkeeper::SystemClock systemClock;
  const appkeeper::Clock* serviceClock = &clock;  // what the service reads
  SystemRandom random;
  Receiver receiver;
  std::unique_ptr<SubscriptionService> service;

  explicit Fixture(std::function<void(SubscriptionOptions&)> tweak = nullptr) {
    SubscriptionOptions o;
    o.clock = &clock;
    o.random = &random;
    o.validationTimeout = 300ms;
    o.deliveryTimeout = 500ms;
    o.retryInitial = 100ms;
    o.retryMax = 400ms;
    o.retryWindow = 2000ms;
    o.startDeliveryThread = false;
    if (tweak) tweak(o);
    if (o.clock == nullptr) serviceClock = &systemClock;
    service = std::make_unique<SubscriptionService>(o);
  }

  std::string expiresIn(std::chrono::minutes m) const {
    return formatGraphDateTime(serviceClock->now() + m);
  }
  json body(std::chrono::minutes lifetime = 30min, bool withLifecycle = false,
            const std::string& changeType = "created,updated,deleted") const {
    json b = {{"changeType", changeType},
              {"resource", std::string("/appCatalogs/teamsApps/") + kTeamsApp +
                               "/installations?$filter=(scopeInfo/scope eq 'team')"},
              {"notificationUrl", receiver.url("/notify")},
              {"expirationDateTime", expiresIn(lifetime)},
              {"clientState", kClientState}};
    if (withLifecycle) b["lifecycleNotificationUrl"] = receiver.url("/lifecycle");
    return b;
  }
  Response call(const std::string& method, const std::string& subPath, const json& b = nullptr,
                const std::string& app = kApp) {
    return service->handle(request(method, subPath, b), subPath, ctx(), kTenant, app);
  }
  // Creates and returns the subscription id (REQUIREs success).
  std::string create(const json& b) {
    Response r = call("POST", "/subscriptions", b);
    REQUIRE(r.status == 201);
    return json::parse(r.body).at("id").get<std::string>();
  }
  size_t listed(const std::string& app = kApp) {
    Response r = call("GET", "/subscriptions", nullptr, app);
    REQUIRE(r.status == 200);
    return json::parse(r.body).at("value").size();
  }
};

json errorOf(const Response& r) { return json::parse(r.body).at("error"); }

}  // namespace

TEST_CASE(
    "creating a subscription validates both URLs with their own POST carrying an encoded token",
    "[emulator][subscriptions][integration]") {
  Fixture f;
  Response r = f.call("POST", "/subscriptions", f.body(120min, true));
  REQUIRE(r.status == 201);

  auto v = f.receiver.validations();
  REQUIRE(v.size() == 2);
  CHECK(v[0].path == "/notify");
  CHECK(v[1].path == "/lifecycle");
  for (const auto& rec : v) {
    CHECK(rec.contentType == "text/plain; charset=utf-8");
    // The token needs decoding: an endpoint that echoes the raw value would fail.
    CHECK(rec.rawToken != rec.decodedToken);
    CHECK(rec.decodedToken.find("Validation: ") == 0);
  }
  CHECK(v[0].decodedToken != v[1].decodedToken);

  json sub = json::parse(r.body);
  CHECK(sub["resource"] == f.body()["resource"]);
  CHECK(sub["changeType"] == "created,updated,deleted");
  CHECK(sub["notificationUrl"] == f.receiver.url("/notify"));
  CHECK(sub["lifecycleNotificationUrl"] == f.receiver.url("/lifecycle"));
  CHECK(sub["clientState"] == kClientState);
  CHECK(sub["applicationId"] == kApp);
  CHECK(sub["creatorId"] == kApp);
  CHECK(sub["latestSupportedTlsVersion"] == "v1_2");
  CHECK(sub["includeResourceData"] == false);
  CHECK(sub["expirationDateTime"] == f.expiresIn(120min));
  CHECK(sub["id"].get<std::string>().size() == 36);
  CHECK(sub["@odata.context"] == "http://127.0.0.1:9/v1.0/$metadata#subscriptions/$entity");

  Response got = f.call("GET", "/subscriptions/" + sub["id"].get<std::string>());
  REQUIRE(got.status == 200);
  CHECK(json::parse(got.body)["id"] == sub["id"]);
  CHECK(f.service->stats()["validations"]["succeeded"] == 2);
}

TEST_CASE("a failed validation handshake answers 400 and creates no subscription",
          "[emulator][subscriptions][integration]") {
  auto mode = GENERATE(ValidationMode::kWrongEcho, ValidationMode::kEchoRaw,
                       ValidationMode::kStatus500, ValidationMode::kHang);
  Fixture f;
  f.receiver.setValidationMode(mode);
  auto started = std::chrono::steady_clock::now();
  Response r = f.call("POST", "/subscriptions", f.body());
  auto took = std::chrono::steady_clock::now() - started;

  REQUIRE(r.status == 400);
  json e = errorOf(r);
  CHECK(e["code"] == "BadRequest");
  CHECK(e["message"].get<std::string>().rfind(kValidationFailedPrefix, 0) == 0);
  CHECK(e["message"].get<std::string>().find("Validation: ") == std::string::npos);  // no token
  CHECK(f.listed() == 0);
  CHECK(f.service->stats()["validations"]["failed"] == 1);
  CHECK(took < 5s);  // the hanging receiver is cut off by the 300 ms validation timeout
}

TEST_CASE("a failed lifecycle URL validation also fails the creation",
          "[emulator][subscriptions][integration]") {
  Fixture f;
  json b = f.body(120min, true);
  // The receiver answers every validation correctly, so make only the second one fail by
  // pointing it at a port nobody listens on.
  b["lifecycleNotificationUrl"] = "http://127.0.0.1:1/lifecycle";
  Response r = f.call("POST", "/subscriptions", b);
  REQUIRE(r.status == 400);
  CHECK(errorOf(r)["message"].get<std::string>().find("lifecycleNotificationUrl") !=
        std::string::npos);
  CHECK(f.listed() == 0);
}

TEST_CASE("an expiration more than 4320 minutes ahead is refused with ExtensionError",
          "[emulator][subscriptions]") {
  Fixture f;
  Response r = f.call("POST", "/subscriptions", f.body(4321min, true));
  REQUIRE(r.status == 400);
  CHECK(errorOf(r)["code"] == "ExtensionError");
  CHECK(errorOf(r)["message"] == "Subscription expiration can only be 4320 minutes in the future.");
  CHECK(f.receiver.all().empty());  // refused before any validation request

  CHECK(f.call("POST", "/subscriptions", f.body(4320min, true)).status == 201);
}

TEST_CASE("an expiration more than an hour ahead requires a lifecycleNotificationUrl",
          "[emulator][subscriptions]") {
  Fixture f;
  Response r = f.call("POST", "/subscriptions", f.body(61min, false));
  REQUIRE(r.status == 400);
  CHECK(errorOf(r)["message"] ==
        "lifecycleNotificationUrl is a required property for subscription creation on this "
        "resource when the expirationDateTime value is set to greater than 1 hour.");
  CHECK(f.call("POST", "/subscriptions", f.body(60min, false)).status == 201);
}

TEST_CASE("invalid subscription bodies are refused with a message naming the problem",
          "[emulator][subscriptions]") {
  Fixture f;
  auto check = [&](json b, const std::string& fragment) {
    Response r = f.call("POST", "/subscriptions", b);
    INFO(b.dump());
    CHECK(r.status == 400);
    CHECK(errorOf(r)["message"].get<std::string>().find(fragment) != std::string::npos);
  };
  json b = f.body();
  b.erase("resource");
  check(b, "resource is a required property");
  b = f.body();
  b["resource"] = "/teams";
  check(b, "is not supported");
  b = f.body();
  b["resource"] = std::string("/appCatalogs/teamsApps/") + kTeamsApp +
                  "/installations?$filter=(scopeInfo/scope eq 'personal')";
  check(b, "is not supported");
  b = f.body();
  b["changeType"] = "created,moved";
  check(b, "changeType 'moved'");
  b = f.body();
  b.erase("expirationDateTime");
  check(b, "expirationDateTime is a required property");
  b = f.body();
  b["expirationDateTime"] = formatGraphDateTime(f.clock.now() - 1min);
  check(b, "must be in the future");
  b = f.body();
  b["clientState"] = std::string(129, 'x');
  check(b, "at most 128 characters");
  b = f.body();
  b["notificationUrl"] = "not a url";
  check(b, "absolute http(s) URL");
  b = f.body();
  b["notificationUrl"] = "https://127.0.0.1/notify";
  check(b, "https");
  b = f.body();
  b["notificationUrl"] = "http://webhook.example.com/notify";
  check(b, "loopback");
  b = f.body();
  b["notificationURL"] = "typo";
  check(b, "The property 'notificationURL' does not exist");
  Response r = f.service->handle(
      [&] {
        Request q = request("POST", "/subscriptions");
        q.body = "{not json";
        return q;
      }(),
      "/subscriptions", ctx(), kTenant, kApp);
  CHECK(r.status == 400);
  CHECK(f.listed() == 0);
  CHECK(f.receiver.all().empty());
}

TEST_CASE("PATCH renews expirationDateTime within the same limits", "[emulator][subscriptions]") {
  Fixture f;
  std::string id = f.create(f.body(120min, true));
  std::string path = "/subscriptions/" + id;

  Response r = f.call("PATCH", path, {{"expirationDateTime", f.expiresIn(4000min)}});
  REQUIRE(r.status == 200);
  CHECK(json::parse(r.body)["expirationDateTime"] == f.expiresIn(4000min));
  CHECK(json::parse(f.call("GET", path).body)["expirationDateTime"] == f.expiresIn(4000min));

  Response tooLong = f.call("PATCH", path, {{"expirationDateTime", f.expiresIn(4321min)}});
  CHECK(tooLong.status == 400);
  CHECK(errorOf(tooLong)["code"] == "ExtensionError");

  Response other = f.call("PATCH", path, {{"changeType", "created"}});
  CHECK(other.status == 400);
}

TEST_CASE("PATCH cannot add a lifecycleNotificationUrl nor renew past an hour without one",
          "[emulator][subscriptions]") {
  Fixture f;
  std::string id = f.create(f.body(30min, false));
  std::string path = "/subscriptions/" + id;
  Response add = f.call("PATCH", path, {{"lifecycleNotificationUrl", f.receiver.url("/lc")}});
  CHECK(add.status == 400);
  CHECK(errorOf(add)["message"].get<std::string>().find("cannot be added") != std::string::npos);
  Response longer = f.call("PATCH", path, {{"expirationDateTime", f.expiresIn(90min)}});
  CHECK(longer.status == 400);
  CHECK(f.call("PATCH", path, {{"expirationDateTime", f.expiresIn(59min)}}).status == 200);
}

TEST_CASE("PATCH of notificationUrl validates the new endpoint first",
          "[emulator][subscriptions][integration]") {
  Fixture f;
  std::string id = f.create(f.body());
  f.receiver.setValidationMode(ValidationMode::kStatus500);
  Response bad =
      f.call("PATCH", "/subscriptions/" + id, {{"notificationUrl", f.receiver.url("/other")}});
  CHECK(bad.status == 400);
  CHECK(json::parse(f.call("GET", "/subscriptions/" + id).body)["notificationUrl"] ==
        f.receiver.url("/notify"));
  f.receiver.setValidationMode(ValidationMode::kEchoDecoded);
  Response good =
      f.call("PATCH", "/subscriptions/" + id, {{"notificationUrl", f.receiver.url("/other")}});
  CHECK(good.status == 200);
  CHECK(json::parse(good.body)["notificationUrl"] == f.receiver.url("/other"));
}

TEST_CASE("DELETE removes the subscription", "[emulator][subscriptions]") {
  Fixture f;
  std::string id = f.create(f.body());
  CHECK(f.call("DELETE", "/subscriptions/" + id).status == 204);
  CHECK(f.call("GET", "/subscriptions/" + id).status == 404);
  CHECK(f.call("DELETE", "/subscriptions/" + id).status == 404);
  CHECK(f.listed() == 0);
}

TEST_CASE("reauthorize answers 204 without extending the subscription",
          "[emulator][subscriptions]") {
  Fixture f;
  std::string id = f.create(f.body(30min));
  Response r = f.call("POST", "/subscriptions/" + id + "/reauthorize");
  CHECK(r.status == 204);
  CHECK(r.body.empty());
  CHECK(json::parse(f.call("GET", "/subscriptions/" + id).body)["expirationDateTime"] ==
        f.expiresIn(30min));
  CHECK(f.service->stats()["perSubscription"][id]["reauthorizations"] == 1);
  CHECK(f.call("POST", "/subscriptions/unknown/reauthorize").status == 404);
  CHECK(f.call("GET", "/subscriptions/" + id + "/reauthorize").status == 405);
}

TEST_CASE("only the owning app sees and manages its subscriptions", "[emulator][subscriptions]") {
  Fixture f;
  std::string id = f.create(f.body());
  CHECK(f.listed(kApp) == 1);
  CHECK(f.listed(kOtherApp) == 0);
  CHECK(f.call("GET", "/subscriptions/" + id, nullptr, kOtherApp).status == 404);
  CHECK(f.call("DELETE", "/subscriptions/" + id, nullptr, kOtherApp).status == 404);
  CHECK(f.listed(kApp) == 1);
}

TEST_CASE("an expired subscription is removed and gets no notifications",
          "[emulator][subscriptions]") {
  Fixture f;
  std::string id = f.create(f.body(30min));
  f.clock.advance(31min);
  CHECK(f.call("GET", "/subscriptions/" + id).status == 404);
  f.service->onInstallationChanged(kTenant, kTeamsApp, "team", "iid", "created");
  CHECK(f.service->runDeliveryOnce() == 0);
  CHECK(f.service->stats()["subscriptions"]["expired"] == 1);
}

TEST_CASE("expireNow removes a subscription at once", "[emulator][subscriptions]") {
  Fixture f;
  std::string id = f.create(f.body(30min));
  CHECK(f.service->expireNow(id));
  CHECK_FALSE(f.service->expireNow(id));
  CHECK(f.listed() == 0);
}

TEST_CASE("an installation change notifies matching subscriptions only, Graph-shaped",
          "[emulator][subscriptions][integration]") {
  Fixture f;
  std::string match = f.create(f.body());
  // Excluded: another change type, another app's teamsApp, another tenant.
  json onlyDeleted = f.body(30min, false, "deleted");
  onlyDeleted["notificationUrl"] = f.receiver.url("/deleted-only");
  f.create(onlyDeleted);
  json otherApp = f.body();
  otherApp["resource"] =
      "/appCatalogs/teamsApps/0000aaaa-0000-0000-0000-000000000000/installations";
  otherApp["notificationUrl"] = f.receiver.url("/other-app");
  f.create(otherApp);

  f.service->onInstallationChanged(kTenant, kTeamsApp, "team-1", "aW5zdGFsbGF0aW9u", "updated");
  f.service->onInstallationChanged("99999999-0000-0000-0000-000000000000", kTeamsApp, "team-1",
                                   "aW5zdGFsbGF0aW9u", "updated");
  CHECK(f.service->runDeliveryOnce() == 1);

  auto got = f.receiver.notifications("/notify");
  REQUIRE(got.size() == 1);
  REQUIRE(got[0]["value"].size() == 1);
  json item = got[0]["value"][0];
  std::string resource =
      std::string("appCatalogs/teamsApps('") + kTeamsApp + "')/installations('aW5zdGFsbGF0aW9u')";
  CHECK(item["subscriptionId"] == match);
  CHECK(item["changeType"] == "updated");
  CHECK(item["clientState"] == kClientState);
  CHECK(item["tenantId"] == kTenant);
  CHECK(item["resource"] == resource);
  CHECK(item["subscriptionExpirationDateTime"] == f.expiresIn(30min));
  CHECK(item["resourceData"] == json{{"id", "aW5zdGFsbGF0aW9u"},
                                     {"@odata.type", "#Microsoft.Graph.teamsAppInstallation"},
                                     {"@odata.id", resource}});
  CHECK(f.receiver.notifications("/deleted-only").empty());
  CHECK(f.receiver.notifications("/other-app").empty());
  auto all = f.receiver.all();
  CHECK(all.back().contentType == "application/json; charset=utf-8");
  CHECK(f.service->stats()["notifications"]["delivered"] == 1);
  CHECK(f.service->stats()["perSubscription"][match]["lastStatus"] == 202);
}

TEST_CASE("notifications keep the notificationUrl's query string and are batched per URL",
          "[emulator][subscriptions][integration]") {
  Fixture f;
  json b = f.body();
  b["notificationUrl"] = f.receiver.url("/notify?key=a%2Bb");
  f.create(b);
  auto v = f.receiver.validations();
  REQUIRE(v.size() == 1);
  CHECK(v[0].rawQuery.rfind("key=a%2Bb&validationToken=", 0) == 0);

  for (int i = 0; i < 3; ++i) {
    f.service->onInstallationChanged(kTenant, kTeamsApp, "t", "iid-" + std::to_string(i),
                                     "created");
  }
  CHECK(f.service->runDeliveryOnce() == 1);
  auto all = f.receiver.all();
  REQUIRE(all.size() == 2);
  CHECK(all[1].rawQuery == "key=a%2Bb");
  CHECK(json::parse(all[1].body)["value"].size() == 3);
}

TEST_CASE("a failed delivery is retried with backoff and then succeeds",
          "[emulator][subscriptions][integration]") {
  Fixture f;
  std::string id = f.create(f.body());
  f.receiver.scriptStatuses("/notify", {503, 500});
  f.service->onInstallationChanged(kTenant, kTeamsApp, "t", "iid", "created");

  CHECK(f.service->runDeliveryOnce() == 1);  // 503
  CHECK(f.service->runDeliveryOnce() == 0);  // not due for 100 ms
  f.clock.advance(99ms);
  CHECK(f.service->runDeliveryOnce() == 0);
  f.clock.advance(1ms);
  CHECK(f.service->runDeliveryOnce() == 1);  // 500; next wait doubles to 200 ms
  f.clock.advance(199ms);
  CHECK(f.service->runDeliveryOnce() == 0);
  f.clock.advance(1ms);
  CHECK(f.service->runDeliveryOnce() == 1);  // 202

  CHECK(f.receiver.notifications("/notify").size() == 3);
  json s = f.service->stats();
  CHECK(s["notifications"]["retried"] == 2);
  CHECK(s["notifications"]["failedAttempts"] == 2);
  CHECK(s["notifications"]["delivered"] == 1);
  CHECK(s["perSubscription"][id]["lastOutcome"] == "delivered");
  CHECK(f.service->pendingDeliveries() == 0);
}

TEST_CASE("a delivery that never succeeds is dropped after the retry window and reported as missed",
          "[emulator][subscriptions][integration]") {
  Fixture f;
  std::string id = f.create(f.body(120min, true));
  f.receiver.scriptStatuses("/notify", std::deque<int>(50, 500));
  f.service->onInstallationChanged(kTenant, kTeamsApp, "t", "iid", "created");
  // Bounded: the 2 s window at 100..400 ms steps needs well under 20 rounds.
  for (int i = 0; i < 20 && f.service->pendingDeliveries() > 0; ++i) {
    f.service->runDeliveryOnce();
    f.clock.advance(400ms);
  }
  f.service->runDeliveryOnce();  // housekeeping queues "missed"; then it is delivered
  json s = f.service->stats();
  CHECK(s["notifications"]["dropped"] == 1);
  CHECK(s["notifications"]["droppedRetryWindow"] == 1);
  CHECK(s["notifications"]["delivered"] == 0);
  auto lc = f.receiver.notifications("/lifecycle");
  REQUIRE(lc.size() == 1);
  CHECK(lc[0]["value"][0]["lifecycleEvent"] == "missed");
  CHECK(lc[0]["value"][0]["subscriptionId"] == id);
}

TEST_CASE("injected delivery drops are counted and answered with a missed lifecycle event",
          "[emulator][subscriptions][integration]") {
  Fixture f;
  std::string id = f.create(f.body(120min, true));
  f.service->setDeliveryDropRate(1.0);
  f.service->onInstallationChanged(kTenant, kTeamsApp, "t", "iid", "created");
  f.service->runDeliveryOnce();
  CHECK(f.receiver.notifications("/notify").empty());
  auto lc = f.receiver.notifications("/lifecycle");
  REQUIRE(lc.size() == 1);
  CHECK(lc[0]["value"][0]["lifecycleEvent"] == "missed");
  json s = f.service->stats();
  CHECK(s["notifications"]["droppedInjected"] == 1);
  CHECK(s["perSubscription"][id]["dropped"] == 1);
  CHECK(s["lifecycle"]["delivered"] == 1);
}

TEST_CASE("a full delivery queue drops notifications and sends missed afterwards",
          "[emulator][subscriptions][integration]") {
  Fixture f([](SubscriptionOptions& o) { o.maxQueue = 2; });
  f.create(f.body(120min, true));
  for (int i = 0; i < 5; ++i) {
    f.service->onInstallationChanged(kTenant, kTeamsApp, "t", "iid" + std::to_string(i), "created");
  }
  CHECK(f.service->stats()["notifications"]["droppedQueueFull"] == 3);
  f.service->runDeliveryOnce();
  auto n = f.receiver.notifications("/notify");
  REQUIRE(n.size() == 1);
  CHECK(n[0]["value"].size() == 2);
  auto lc = f.receiver.notifications("/lifecycle");
  REQUIRE(lc.size() == 1);
  CHECK(lc[0]["value"][0]["lifecycleEvent"] == "missed");
}

TEST_CASE("a lifecycle trigger delivers the event and subscriptionRemoved deletes the subscription",
          "[emulator][subscriptions][integration]") {
  Fixture f;
  std::string id = f.create(f.body(120min, true));
  Response r = f.service->triggerLifecycle(id, "reauthorizationRequired", ctx());
  CHECK(r.status == 202);
  f.service->runDeliveryOnce();
  auto lc = f.receiver.notifications("/lifecycle");
  REQUIRE(lc.size() == 1);
  json item = lc[0]["value"][0];
  CHECK(item["lifecycleEvent"] == "reauthorizationRequired");
  CHECK(item["subscriptionId"] == id);
  CHECK(item["clientState"] == kClientState);
  CHECK(item["tenantId"] == kTenant);
  CHECK(item["subscriptionExpirationDateTime"] == f.expiresIn(120min));
  CHECK_FALSE(item.contains("resource"));
  CHECK(f.listed() == 1);

  CHECK(f.service->triggerLifecycle(id, "subscriptionRemoved", ctx()).status == 202);
  CHECK(f.listed() == 0);
  f.service->runDeliveryOnce();
  lc = f.receiver.notifications("/lifecycle");
  REQUIRE(lc.size() == 2);
  CHECK(lc[1]["value"][0]["lifecycleEvent"] == "subscriptionRemoved");

  CHECK(f.service->triggerLifecycle(id, "missed", ctx()).status == 404);
  CHECK(f.service->triggerLifecycle(id, "bogus", ctx()).status == 400);
}

TEST_CASE("a lifecycle trigger needs a lifecycleNotificationUrl", "[emulator][subscriptions]") {
  Fixture f;
  std::string id = f.create(f.body(30min, false));
  CHECK(f.service->triggerLifecycle(id, "missed", ctx()).status == 400);
}

TEST_CASE("reauthorizationRequired is sent automatically near expiry when enabled",
          "[emulator][subscriptions][integration]") {
  Fixture f([](SubscriptionOptions& o) {
    o.reauthorizationWindow = 60min;
    o.reauthorizationInterval = 15min;
  });
  f.create(f.body(120min, true));
  f.service->runDeliveryOnce();
  CHECK(f.receiver.notifications("/lifecycle").empty());
  f.clock.advance(61min);
  f.service->runDeliveryOnce();
  f.clock.advance(5min);
  f.service->runDeliveryOnce();  // within the interval: nothing new
  f.clock.advance(10min);
  f.service->runDeliveryOnce();
  auto lc = f.receiver.notifications("/lifecycle");
  REQUIRE(lc.size() == 2);
  CHECK(lc[1]["value"][0]["lifecycleEvent"] == "reauthorizationRequired");
}

TEST_CASE("the delivery thread sends notifications in the background",
          "[emulator][subscriptions][integration]") {
  Fixture f([](SubscriptionOptions& o) {
    o.clock = nullptr;  // real time for the thread's waits
    o.startDeliveryThread = true;
    o.retryInitial = 20ms;
    o.retryMax = 20ms;
  });
  f.create(f.body());
  f.receiver.scriptStatuses("/notify", {500});
  f.service->onInstallationChanged(kTenant, kTeamsApp, "t", "iid", "deleted");
  REQUIRE(f.receiver.waitForNotifications("/notify", 2));
  CHECK(f.receiver.notifications("/notify")[1]["value"][0]["changeType"] == "deleted");
}

TEST_CASE("graph date-times round-trip and accept offsets and long fractions",
          "[emulator][subscriptions]") {
  using appkeeper::emulator::parseGraphDateTime;
  auto t = parseGraphDateTime("2023-11-16T11:00:00.0000000Z");
  REQUIRE(t);
  CHECK(formatGraphDateTime(*t) == "2023-11-16T11:00:00.0000000Z");
  CHECK(parseGraphDateTime("2021-02-02T11:26:41.0537895-08:00") ==
        parseGraphDateTime("2021-02-02T19:26:41.053Z"));
  CHECK(parseGraphDateTime("2021-02-02T19:26:41Z"));
  CHECK_FALSE(parseGraphDateTime("2021-02-30T19:26:41Z"));
  CHECK_FALSE(parseGraphDateTime("tomorrow"));
  CHECK_FALSE(parseGraphDateTime("2021-02-02T19:26:41Zjunk"));
}

TEST_CASE("notification URLs are parsed and tokens form-encoded", "[emulator][subscriptions]") {
  using namespace appkeeper::emulator;
  auto u = parseHttpUrl("http://127.0.0.1:8080/api/notify?x=1");
  REQUIRE(u);
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == 8080);
  CHECK(u->target == "/api/notify?x=1");
  auto v6 = parseHttpUrl("http://[::1]/");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 80);
  CHECK_FALSE(parseHttpUrl("ftp://x/"));
  CHECK_FALSE(parseHttpUrl("http://user@host/"));
  CHECK_FALSE(parseHttpUrl("http://host/#frag"));
  CHECK(isLoopbackHost("127.0.0.1"));
  CHECK(isLoopbackHost("LOCALHOST"));
  CHECK_FALSE(isLoopbackHost("127.evil.example"));
  CHECK(formEncode("a b:+&%") == "a+b%3a%2b%26%25");
  CHECK(appendQueryParameter("http://h/p", "validationToken", "a b") ==
        "http://h/p?validationToken=a+b");
  CHECK(appendQueryParameter("http://h/p?k=1", "t", "x") == "http://h/p?k=1&t=x");
  CHECK(retryDelay(1, 1000ms, 5000ms) == 1000ms);
  CHECK(retryDelay(3, 1000ms, 5000ms) == 4000ms);
  CHECK(retryDelay(9, 1000ms, 5000ms) == 5000ms);
}
