// The admin endpoints over real sockets (127.0.0.1, port 0): /metrics on the main listener with
// the request observer, and the separate admin listener.
#include "handlers/admin_server.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <catch2/catch.hpp>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "fakes/fake_clock.h"
#include "handlers/inbound_server.h"
#include "handlers_test_support.h"

using namespace appkeeper;
using namespace appkeeper::handlers;

namespace {

constexpr char kToken[] = "admin-token-for-the-tests-42";

struct AdminReply {
  int status = 0;
  std::string body;
  std::string contentType;
  std::string wwwAuthenticate;
};

AdminReply get(uint16_t port, const std::string& path, const std::string& authorization = "",
          const std::string& method = "GET") {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!authorization.empty()) request.set("Authorization", authorization);
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  AdminReply reply;
  Poco::StreamCopier::copyToString(session.receiveResponse(response), reply.body);
  reply.status = static_cast<int>(response.getStatus());
  reply.contentType = response.getContentType();
  reply.wwwAuthenticate = response.get("WWW-Authenticate", "");
  return reply;
}

struct Observed {
  std::string endpoint;
  int status;
};

struct Recorder {
  std::mutex mu;
  std::vector<Observed> seen;
  RequestObserver observer() {
    return [this](std::string_view endpoint, int status, std::chrono::nanoseconds) {
      std::lock_guard lock(mu);
      seen.push_back({std::string(endpoint), status});
    };
  }
  std::vector<Observed> all() {
    std::lock_guard lock(mu);
    return seen;
  }
};

MetricsEndpoint metricsEndpoint(const std::string& token) {
  return MetricsEndpoint{[] { return std::string("# TYPE up gauge\nup 1\n"); }, token};
}

}  // namespace

TEST_CASE("over HTTP the main listener serves /metrics behind the token and observes requests",
          "[handlers][integration]") {
  testing::TempDir dir;
  testing::FakeClock clock;
  Recorder recorder;
  InboundServerOptions options;
  options.port = 0;
  options.dbPath = dir.file("appkeeper.db");
  options.maxThreads = 2;
  options.metrics = metricsEndpoint(kToken);
  options.onRequest = recorder.observer();
  auto server = InboundServer::start(std::move(options), clock);
  REQUIRE(server.ok());
  const uint16_t port = (*server)->port();

  auto refused = get(port, "/metrics");
  CHECK(refused.status == 401);
  CHECK(refused.wwwAuthenticate == "Bearer");
  CHECK(get(port, "/metrics", "Bearer nope-nope-nope-nope").status == 401);
  auto scraped = get(port, "/metrics", std::string("Bearer ") + kToken);
  CHECK(scraped.status == 200);
  CHECK(scraped.contentType == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(scraped.body == "# TYPE up gauge\nup 1\n");
  CHECK(get(port, "/no/such/thing").status == 404);
  (*server)->stop();  // every observation is in once the requests are done

  // Observed after each answer went out, so not necessarily in request order.
  std::multiset<std::pair<std::string, int>> seen;
  for (const auto& o : recorder.all()) seen.emplace(o.endpoint, o.status);
  CHECK(seen == std::multiset<std::pair<std::string, int>>{
                    {"/metrics", 401}, {"/metrics", 401}, {"/metrics", 200}, {"other", 404}});
}

TEST_CASE("over HTTP the main listener answers 404 for /metrics when it does not serve them",
          "[handlers][integration]") {
  testing::TempDir dir;
  testing::FakeClock clock;
  InboundServerOptions options;
  options.port = 0;
  options.dbPath = dir.file("appkeeper.db");
  options.maxThreads = 2;
  auto server = InboundServer::start(std::move(options), clock);
  REQUIRE(server.ok());
  CHECK(get((*server)->port(), "/metrics").status == 404);
}

TEST_CASE("over HTTP the admin listener serves metrics and probes, nothing else",
          "[handlers][integration]") {
  testing::FakeClock clock;
  Recorder recorder;
  AdminServerOptions options;
  options.port = 0;
  options.routes.metrics = metricsEndpoint(kToken);
  options.routes.ready = [] { return true; };
  options.onRequest = recorder.observer();
  auto server = AdminServer::start(std::move(options), clock);
  REQUIRE(server.ok());
  const uint16_t port = (*server)->port();
  REQUIRE(port != 0);

  CHECK(get(port, "/metrics").status == 401);
  auto scraped = get(port, "/metrics", std::string("Bearer ") + kToken);
  CHECK(scraped.status == 200);
  CHECK(scraped.body == "# TYPE up gauge\nup 1\n");
  CHECK(get(port, "/healthz").status == 200);
  CHECK(get(port, "/readyz").status == 200);
  CHECK(get(port, "/graph/notifications", "", "POST").status == 404);
  CHECK(get(port, "/metrics", "", "DELETE").status == 405);
  (*server)->stop();
  CHECK(recorder.all().size() == 6);
}

TEST_CASE("the admin listener refuses to start on an address in use", "[handlers][integration]") {
  testing::FakeClock clock;
  AdminServerOptions first;
  first.port = 0;
  auto a = AdminServer::start(std::move(first), clock);
  REQUIRE(a.ok());
  AdminServerOptions second;
  second.port = (*a)->port();
  auto b = AdminServer::start(std::move(second), clock);
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().kind == ErrorKind::kPermanent);
  CHECK(b.error().message.find("127.0.0.1:" + std::to_string((*a)->port())) != std::string::npos);
}
