// The emulator's wiring of SubscriptionService: Graph /subscriptions routes reach it with the
// token's tenant and app, and installation changes made through Graph and the control API
// become change notifications. A Poco receiver on 127.0.0.1 port 0 plays the subscriber.
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <set>
#include <sstream>

#include "emulator/emulator_server.h"
#include "emulator/notifier.h"
#include "emulator/self_signed_cert.h"
#include "emulator/subscriptions.h"
#include "emulator/url_codec.h"
#include "emulator_test_support.h"
#include "fakes/temp_dir.h"
#include "http_test_client.h"

using namespace appkeeper::emulator;
using namespace appkeeper::emulator::testing;
using appkeeper::emulator::PemCertificate;
using appkeeper::emulator::TlsMaterial;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// Records notification items; answers validation requests by echoing the token.
// With `tls`, it serves HTTPS with that context.
class Receiver {
 public:
  explicit Receiver(Poco::Net::Context::Ptr tls = nullptr)
      : https_(!tls.isNull()),
        socket_(tls ? Poco::Net::ServerSocket(Poco::Net::SecureServerSocket(
                          Poco::Net::SocketAddress("127.0.0.1", 0), 64, tls))
                    : Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0))) {
    auto params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(4);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket_, params);
    server_->start();
  }
  ~Receiver() { server_->stopAll(true); }
  std::string url() const {
    return std::string(https_ ? "https" : "http") + "://127.0.0.1:" +
           std::to_string(socket_.address().port()) + "/hook";
  }
  // Requests that reached the handler (validation requests included).
  size_t requests() {
    std::lock_guard lock(mu_);
    return requests_;
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
      {
        std::lock_guard lock(r_.mu_);
        ++r_.requests_;
      }
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

  bool https_;
  Poco::Net::ServerSocket socket_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<json> items_;  // guarded by mu_
  size_t requests_ = 0;      // guarded by mu_
};

// A server context serving `served` (PEM files written to `dir`).
Poco::Net::Context::Ptr receiverTls(const appkeeper::testing::TempDir& dir,
                                    const PemCertificate& served) {
  Poco::Net::initializeSSL();
  const std::string cert = dir.write("receiver.pem", served.certificatePem);
  const std::string key = dir.write("receiver-key.pem", served.privateKeyPem);
  return new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, key, cert, "",
                                Poco::Net::Context::VERIFY_NONE);
}

TlsMaterial newMaterial() {
  auto made = generateTlsMaterial(loopbackCertificateSpec(std::chrono::system_clock::now()));
  REQUIRE(made);
  return *made;
}

// An emulator (real HTTP server, no TLS of its own) whose deliveries trust `notifyCa`.
struct DeliveryFixture {
  explicit DeliveryFixture(const std::string& notifyCaFile) {
    auto model = std::make_unique<TenantModel>(kTenant);
    REQUIRE(seedTenant(*model, {4, 4}));
    EmulatorConfig config;
    config.clientId = kClientId;
    config.clientSecret = kSecret;
    config.limits.enabled = false;
    auto tls = makeDeliveryTls(notifyCaFile);
    REQUIRE(tls);
    config.deliveryTls = *tls;
    core = std::make_unique<EmulatorCore>(config, std::move(model), clock, ids, nullptr);
    server = std::make_unique<EmulatorServer>(*core, ServerOptions{}, nullptr);
    REQUIRE(server->start());
    auto answer = call("POST", server->url() + "/" + kTenant + "/oauth2/v2.0/token",
                       formBody({{"grant_type", "client_credentials"},
                                 {"client_id", kClientId},
                                 {"client_secret", kSecret},
                                 {"scope", "https://graph.microsoft.com/.default"}}),
                       {{"Content-Type", "application/x-www-form-urlencoded"}});
    REQUIRE(answer.status == 200);
    auth = {{"Authorization", "Bearer " + answer.json()["access_token"].get<std::string>()}};
    for (const auto& a : core->model().catalog()) {
      if (a.displayName == "Contoso Tasks") tasks = a.id;
    }
  }
  HttpAnswer subscribe(const std::string& notificationUrl) {
    json body = {{"changeType", "deleted"},
                 {"notificationUrl", notificationUrl},
                 {"resource", "/appCatalogs/teamsApps/" + tasks + "/installations"},
                 {"expirationDateTime",
                  formatGraphDateTime(std::chrono::system_clock::now() + 30min)},
                 {"clientState", "tls-delivery-state"}};
    return call("POST", server->url() + "/v1.0/subscriptions", body.dump(), auth);
  }

  appkeeper::SystemClock clock;  // the delivery thread runs on real time
  SplitMix64 ids{12};
  std::unique_ptr<EmulatorCore> core;
  std::unique_ptr<EmulatorServer> server;
  std::map<std::string, std::string> auth;
  std::string tasks;
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

TEST_CASE("an https notification URL is validated and notified with the receiver's certificate "
          "verified against --notify-ca-file",
          "[emulator][integration][tls]") {
  appkeeper::testing::TempDir dir;
  TlsMaterial receiverPki = newMaterial();
  Receiver receiver(receiverTls(dir, receiverPki.server));
  DeliveryFixture f(dir.write("notify-ca.pem", receiverPki.ca.certificatePem));

  auto created = f.subscribe(receiver.url());
  INFO(created.body);
  REQUIRE(created.status == 201);
  auto installations = f.core->model().installations(f.tasks, "");
  REQUIRE(installations);
  REQUIRE_FALSE(installations->empty());
  const Installation& one = installations->front();
  REQUIRE(call("DELETE", f.server->url() + "/_emulator/installations/" + percentEncode(one.id))
              .status == 204);
  auto items = receiver.waitForItems(1, 10s);
  REQUIRE(items.size() == 1);
  CHECK(items[0]["clientState"] == "tls-delivery-state");
  f.server->stop();
}

TEST_CASE("an https receiver whose certificate the emulator does not trust fails validation and "
          "receives nothing",
          "[emulator][integration][tls]") {
  appkeeper::testing::TempDir dir;
  TlsMaterial receiverPki = newMaterial();
  TlsMaterial trusted = newMaterial();
  Receiver receiver(receiverTls(dir, receiverPki.server));
  DeliveryFixture f(dir.write("notify-ca.pem", trusted.ca.certificatePem));

  auto created = f.subscribe(receiver.url());
  CHECK(created.status == 400);
  CHECK_THAT(created.body, Catch::Contains("TLS to 127.0.0.1:"));
  // The handshake failed, so not even the validation request (or its token) got through.
  CHECK(receiver.requests() == 0);
  f.server->stop();
}
