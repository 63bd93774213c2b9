// The emulator's wiring of SubscriptionService: Graph /subscriptions routes reach it with the
// token's tenant and app, and installation changes made through Graph and the control API
// become change notifications. A Poco receiver on 127.0.0.1 port 0 plays the subscriber.
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <set>
#include <sstream>

#include "emulator/emulator_server.h"
#include "emulator/subscriptions.h"
#include "emulator/url_codec.h"
#include "emulator_test_support.h"
#include "http_test_client.h"

using namespace appkeeper::emulator;
using namespace appkeeper::emulator::testing;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// Records notification items; answers validation requests by echoing the token.
class Receiver {
 public:
  Receiver() : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
    auto params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(4);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket_, params);
    server_->start();
  }
  ~Receiver() { server_->stopAll(true); }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(socket_.address().port()) + "/hook";
  }
  // Waits (bounded) until `n` change items have arrived; returns them.
  std::vector<json> waitForItems(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return items_.size() >= n; });
    return items_;
  }

 private:
  class Handler final : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(Receiver& r) : r_(r) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& res) override {
      std::ostringstream body;
      Poco::StreamCopier::copyStream(req.stream(), body);
      Poco::URI uri(req.getURI());
      for (const auto& [k, v] : uri.getQueryParameters()) {
        if (k == "validationToken") {
          res.setContentType("text/plain");
          res.sendBuffer(v.data(), v.size());
          return;
        }
      }
      auto j = json::parse(body.str(), nullptr, false);
      {
        std::lock_guard lock(r_.mu_);
        if (!j.is_discarded() && j.contains("value")) {
          for (const auto& item : j["value"]) r_.items_.push_back(item);
        }
      }
      r_.cv_.notify_all();
      res.setStatus(Poco::Net::HTTPResponse::HTTP_ACCEPTED);
      res.setContentLength(0);
      res.send();
    }

   private:
    Receiver& r_;
  };
  class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(Receiver& r) : r_(r) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(r_);
    }

   private:
    Receiver& r_;
  };

  Poco::Net::ServerSocket socket_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<json> items_;  // guarded by mu_
};

}  // namespace

TEST_CASE("installation changes through Graph and the control API reach subscribers",
          "[emulator][integration]") {
  // Real time: the subscription service's delivery thread runs on its own clock reads.
  appkeeper::SystemClock clock;
  SplitMix64 ids(11);
  auto model = std::make_unique<TenantModel>(kTenant);
  REQUIRE(seedTenant(*model, {10, 4}));
  EmulatorConfig config;
  config.clientId = kClientId;
  config.clientSecret = kSecret;
  config.limits.enabled = false;
  EmulatorCore core(config, std::move(model), clock, ids, nullptr);
  REQUIRE(core.subscriptions() != nullptr);
  EmulatorServer server(core, ServerOptions{}, nullptr);
  REQUIRE(server.start());
  Receiver receiver;

  const std::string tokenBody = formBody({{"grant_type", "client_credentials"},
                                          {"client_id", kClientId},
                                          {"client_secret", kSecret},
                                          {"scope", "https://graph.microsoft.com/.default"}});
  auto tokenAnswer = call("POST", server.url() + "/" + kTenant + "/oauth2/v2.0/token", tokenBody,
                          {{"Content-Type", "application/x-www-form-urlencoded"}});
  REQUIRE(tokenAnswer.status == 200);
  const std::map<std::string, std::string> auth = {
      {"Authorization", "Bearer " + tokenAnswer.json()["access_token"].get<std::string>()}};

  std::string tasks;
  for (const auto& a : core.model().catalog()) {
    if (a.displayName == "Contoso Tasks") tasks = a.id;
  }
  const auto expiry = std::chrono::system_clock::now() + 30min;
  json subscription = {{"changeType", "created,updated,deleted"},
                       {"notificationUrl", receiver.url()},
                       {"resource", "/appCatalogs/teamsApps/" + tasks + "/installations"},
                       {"expirationDateTime", formatGraphDateTime(expiry)},
                       {"clientState", "wiring-test-state"}};
  auto created = call("POST", server.url() + "/v1.0/subscriptions", subscription.dump(), auth);
  INFO(created.body);
  REQUIRE(created.status == 201);
  auto listed = call("GET", server.url() + "/_emulator/subscriptions");
  CHECK(listed.json()["value"].size() == 1);

  // An upgrade through Graph: "updated".
  auto installations = core.model().installations(tasks, "");
  REQUIRE(installations);
  const Installation* outdated = nullptr;
  for (const auto& i : *installations) {
    if (i.version != core.model().app(tasks)->latestPublished()->version) outdated = &i;
  }
  REQUIRE(outdated);
  REQUIRE(call("POST",
               server.url() + "/v1.0/teams/" + outdated->teamId + "/installedApps/" +
                   percentEncode(outdated->id) + "/upgrade",
               "", auth)
              .status == 204);
  // A removal through the control API: "deleted".
  REQUIRE(call("DELETE", server.url() + "/_emulator/installations/" + percentEncode(outdated->id))
              .status == 204);

  auto items = receiver.waitForItems(2, 10s);
  REQUIRE(items.size() >= 2);
  std::set<std::string> changes;
  for (const auto& item : items) {
    CHECK(item["clientState"] == "wiring-test-state");
    CHECK(item["tenantId"] == kTenant);
    CHECK(item["resourceData"]["id"] == outdated->id);
    changes.insert(item["changeType"].get<std::string>());
  }
  CHECK(changes == std::set<std::string>{"updated", "deleted"});
  CHECK(call("GET", server.url() + "/_emulator/stats").json().contains("subscriptions"));
  server.stop();
}
