// One test per route over real sockets: InboundServer on 127.0.0.1 port 0, Poco client.
#include "handlers/inbound_server.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>

#include <atomic>
#include <catch2/catch.hpp>

#include "fakes/fake_clock.h"
#include "handlers/standard_webhooks.h"
#include "handlers_test_support.h"
#include "nlohmann/json.hpp"

using namespace appkeeper;
using namespace appkeeper::handlers;
using nlohmann::json;

namespace {

constexpr char kTenant[] = "11111111-2222-3333-4444-555555555555";
constexpr char kSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr size_t kMaxBody = 1024;

struct InboundReply {
  int status = 0;
  std::string body;
  std::string contentType;
  Poco::Net::HTTPResponse response;
};

struct Call {
  std::string method = "POST";
  std::string target;
  std::string body;
  std::string contentType = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  bool chunked = false;
};

InboundReply send(uint16_t port, const Call& call) {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest request(call.method, call.target, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!call.contentType.empty()) request.setContentType(call.contentType);
  for (const auto& [name, value] : call.headers) request.set(name, value);
  if (call.chunked) {
    request.setChunkedTransferEncoding(true);
  } else if (call.method == "POST") {
    request.setContentLength(static_cast<std::streamsize>(call.body.size()));
  }
  session.sendRequest(request) << call.body;
  InboundReply reply;
  std::istream& in = session.receiveResponse(reply.response);
  Poco::StreamCopier::copyToString(in, reply.body);
  reply.status = static_cast<int>(reply.response.getStatus());
  reply.contentType = reply.response.getContentType();
  return reply;
}

struct ServerFixture {
  testing::TempDir dir;
  testing::FakeClock clock;
  std::atomic<bool> ready{true};
  std::unique_ptr<InboundServer> server;

  ServerFixture() {
    InboundServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.dbPath = dbPath();
    options.tenantId = kTenant;
    options.catalogSecret = kSecret;
    options.maxBodyBytes = kMaxBody;
    options.maxThreads = 4;
    options.maxQueued = 8;
    options.ready = [this] { return ready.load(); };
    auto started = InboundServer::start(std::move(options), clock);
    REQUIRE(started.ok());
    server = std::move(started.value());
    REQUIRE(server->port() != 0);
  }
  ~ServerFixture() { server.reset(); }  // stop before the clock and the files go
  std::string dbPath() const { return dir.file("appkeeper.db"); }
  uint16_t port() const { return server->port(); }
};

}  // namespace

TEST_CASE("over HTTP the validation handshake echoes the token as text/plain",
          "[handlers][integration]") {
  ServerFixture f;
  Call call;
  call.target = "/graph/notifications?validationToken=Validation%3A%20Testing%20%3Cb%3E";
  call.contentType = "text/plain; charset=utf-8";
  auto r = send(f.port(), call);
  CHECK(r.status == 200);
  CHECK(r.body == "Validation: Testing <b>");
  CHECK(r.contentType == "text/plain; charset=utf-8");
  CHECK(r.response.get("X-Content-Type-Options", "") == "nosniff");
}

TEST_CASE("over HTTP a notification with the right clientState is kept and answered 202",
          "[handlers][integration]") {
  ServerFixture f;
  auto admin = testing::openStore(f.dbPath(), f.clock);
  store::SubscriptionRecord sub{"sub-1", "/appCatalogs/teamsApps/app-1/installations", "state-1",
                                f.clock.now() + std::chrono::hours(1), "app-1"};
  REQUIRE(admin->putSubscription(sub).ok());

  json body = {{"value",
                {{{"subscriptionId", "sub-1"},
                  {"clientState", "state-1"},
                  {"changeType", "updated"},
                  {"tenantId", kTenant},
                  {"resource", "appCatalogs/teamsApps('app-1')/installations('inst-1')"}}}}};
  Call call;
  call.target = "/graph/notifications";
  call.body = body.dump();
  auto r = send(f.port(), call);
  CHECK(r.status == 202);
  CHECK(r.body.empty());
  auto inbox = testing::drainInbox(*admin);
  REQUIRE(inbox.size() == 1);
  CHECK(json::parse(inbox[0].payload) == body);
}

TEST_CASE("over HTTP a signed publish event is answered 202 and a replay 200",
          "[handlers][integration]") {
  ServerFixture f;
  const std::string body =
      json{{"type", "teamsApp.published"},
           {"timestamp", "2026-11-29T10:00:00Z"},
           {"data", {{"tenantId", kTenant}, {"teamsAppId", "app-1"}, {"version", "1.4.0"}}}}
          .dump();
  const std::string ts = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(f.clock.now().time_since_epoch()).count());
  Call call;
  call.target = "/events/catalog";
  call.body = body;
  call.headers = {{"webhook-id", "msg_1"},
                  {"webhook-timestamp", ts},
                  {"webhook-signature", signStandardWebhook(kSecret, "msg_1", ts, body)}};
  CHECK(send(f.port(), call).status == 202);
  CHECK(send(f.port(), call).status == 200);

  call.headers.pop_back();
  auto unsignedReply = send(f.port(), call);
  CHECK(unsignedReply.status == 401);
  CHECK(unsignedReply.body ==
        R"({"error":{"code":"unauthorized","message":"missing webhook-signature header"}})");
}

TEST_CASE("over HTTP healthz is ok and readyz follows readiness", "[handlers][integration]") {
  ServerFixture f;
  Call health;
  health.method = "GET";
  health.target = "/healthz";
  health.contentType.clear();
  auto h = send(f.port(), health);
  CHECK(h.status == 200);
  CHECK(h.body == R"({"status":"ok"})");

  Call readiness = health;
  readiness.target = "/readyz";
  CHECK(send(f.port(), readiness).status == 200);
  f.ready = false;
  auto notReady = send(f.port(), readiness);
  CHECK(notReady.status == 503);
  CHECK(notReady.body == R"({"status":"not ready"})");
}

TEST_CASE("over HTTP unknown paths are 404 and wrong methods 405, not Poco's 501",
          "[handlers][integration]") {
  ServerFixture f;
  Call unknown;
  unknown.method = "GET";
  unknown.target = "/nope";
  unknown.contentType.clear();
  CHECK(send(f.port(), unknown).status == 404);
  Call wrongMethod = unknown;
  wrongMethod.target = "/graph/notifications";
  auto r = send(f.port(), wrongMethod);
  CHECK(r.status == 405);
  CHECK(r.response.get("Allow", "") == "POST");
}

TEST_CASE("over HTTP a body over the limit is refused with 413", "[handlers][integration]") {
  ServerFixture f;
  Call big;
  big.target = "/graph/notifications";
  big.body = std::string(4 * kMaxBody, 'x');
  auto declared = send(f.port(), big);  // refused on Content-Length, before reading
  CHECK(declared.status == 413);
  CHECK(json::parse(declared.body)["error"]["code"] == "payloadTooLarge");

  big.chunked = true;  // no Content-Length: the read itself is capped
  CHECK(send(f.port(), big).status == 413);

  Call fits = big;  // the limit itself is allowed (the body is then just bad JSON)
  fits.chunked = false;
  fits.body = std::string(kMaxBody, ' ');
  CHECK(send(f.port(), fits).status == 400);
}

TEST_CASE("over HTTP a body shorter than its Content-Length is a 400 and the connection closes",
          "[handlers][integration]") {
  ServerFixture f;
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", f.port()));
  socket.setReceiveTimeout(Poco::Timespan(30, 0));
  const std::string head =
      "POST /graph/notifications HTTP/1.1\r\nHost: localhost\r\n"
      "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"value\":[]}";
  REQUIRE(socket.sendBytes(head.data(), static_cast<int>(head.size())) ==
          static_cast<int>(head.size()));
  socket.shutdownSend();  // the sender gives up after 12 of 100 bytes
  std::string reply;
  char buffer[4096];
  for (int i = 0; i < 100; ++i) {  // bounded: the server closes after answering
    int n = socket.receiveBytes(buffer, sizeof buffer);
    if (n <= 0) break;
    reply.append(buffer, static_cast<size_t>(n));
  }
  INFO(reply);
  CHECK(reply.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(reply.find("the request body ended before Content-Length") != std::string::npos);
  CHECK(reply.find("Connection: Close") != std::string::npos);
}

TEST_CASE("the server refuses to start on an address in use or with a malformed secret",
          "[handlers][integration]") {
  ServerFixture running;
  testing::FakeClock clock;
  InboundServerOptions options;
  options.port = running.port();
  options.dbPath = running.dir.file("other.db");
  auto inUse = InboundServer::start(options, clock);
  REQUIRE_FALSE(inUse.ok());
  CHECK(inUse.error().kind == ErrorKind::kPermanent);
  CHECK(inUse.error().message.find(std::to_string(running.port())) != std::string::npos);

  options.port = 0;
  options.catalogSecret = "whsec_not*base64";
  auto badSecret = InboundServer::start(options, clock);
  REQUIRE_FALSE(badSecret.ok());
  CHECK(badSecret.error().kind == ErrorKind::kInvalidInput);
  CHECK(badSecret.error().message.find("not*base64") == std::string::npos);
}

TEST_CASE("over HTTP the lifecycle route answers the handshake and keeps a lifecycle event",
          "[handlers][integration]") {
  ServerFixture f;
  auto admin = testing::openStore(f.dbPath(), f.clock);
  store::SubscriptionRecord sub{"sub-1", "/appCatalogs/teamsApps/app-1/installations", "state-1",
                                f.clock.now() + std::chrono::hours(1), "app-1"};
  REQUIRE(admin->putSubscription(sub).ok());

  Call handshake;
  handshake.target = "/graph/lifecycle?validationToken=hello%20lifecycle";
  handshake.contentType = "text/plain; charset=utf-8";
  auto echoed = send(f.port(), handshake);
  CHECK(echoed.status == 200);
  CHECK(echoed.body == "hello lifecycle");

  json body = {{"value",
                {{{"subscriptionId", "sub-1"},
                  {"clientState", "state-1"},
                  {"tenantId", kTenant},
                  {"lifecycleEvent", "missed"}}}}};
  Call call;
  call.target = "/graph/lifecycle";
  call.body = body.dump();
  CHECK(send(f.port(), call).status == 202);
  auto inbox = testing::drainInbox(*admin);
  REQUIRE(inbox.size() == 1);
  CHECK(json::parse(inbox[0].payload) == body);
  CHECK(testing::auditOf(*admin, "graph-lifecycle", "accepted").size() == 1);
}
