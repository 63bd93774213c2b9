#include "graph/token_source.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "fakes/fake_clock.h"
#include "fakes/fake_transport.h"

using namespace appkeeper;
using namespace appkeeper::graph;
using appkeeper::testing::FakeClock;
using appkeeper::testing::FakeTransport;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

const char* kSecret = "s3cr&t=+%va lue";

ClientCredentials credentials() {
  return {"http://127.0.0.1:9/tenant-1/oauth2/v2.0/token", "client-1", kSecret};
}

std::string tokenBody(const std::string& token, int expiresIn) {
  return R"({"token_type":"Bearer","expires_in":)" + std::to_string(expiresIn) +
         R"(,"ext_expires_in":3599,"access_token":")" + token + "\"}";
}

}  // namespace

TEST_CASE("a token is cached and reused until shortly before it expires", "[graph][token]") {
  FakeClock clock;
  FakeTransport net;
  net.respondJson(200, tokenBody("tok-1", 3600));
  net.respondJson(200, tokenBody("tok-2", 3600));
  ClientCredentialsTokenSource source(credentials(), net, clock);
  CHECK(*source.token() == "tok-1");
  clock.advance(seconds(3600 - 300 - 1));
  CHECK(*source.token() == "tok-1");
  CHECK(net.requestCount() == 1);
  clock.advance(seconds(1));  // 5 minutes before expiry
  CHECK(*source.token() == "tok-2");
  CHECK(net.requestCount() == 2);
}

TEST_CASE("a short-lived token is refreshed halfway through its lifetime", "[graph][token]") {
  FakeClock clock;
  FakeTransport net;
  net.respondJson(200, tokenBody("short-1", 10));
  net.respondJson(200, tokenBody("short-2", 10));
  ClientCredentialsTokenSource source(credentials(), net, clock);
  CHECK(*source.token() == "short-1");
  clock.advance(milliseconds(4999));
  CHECK(*source.token() == "short-1");
  clock.advance(milliseconds(1));
  CHECK(*source.token() == "short-2");
}

TEST_CASE("forceRefresh always asks the endpoint again", "[graph][token]") {
  FakeClock clock;
  FakeTransport net;
  net.respondJson(200, tokenBody("tok-1", 3600));
  net.respondJson(200, tokenBody("tok-2", 3600));
  ClientCredentialsTokenSource source(credentials(), net, clock);
  CHECK(*source.token() == "tok-1");
  CHECK(*source.token(true) == "tok-2");
  CHECK(net.requestCount() == 2);
}

TEST_CASE("workers rejected with the same token share one refresh", "[graph][token]") {
  FakeClock clock;
  FakeTransport net;
  net.respondJson(200, tokenBody("old", 3600));
  net.respondJson(200, tokenBody("new", 3600));
  ClientCredentialsTokenSource source(credentials(), net, clock);
  CHECK(*source.token() == "old");
  CHECK(*source.tokenAfterRejection("old") == "new");
  CHECK(*source.tokenAfterRejection("old") == "new");  // the second worker reuses it
  CHECK(net.requestCount() == 2);
}

TEST_CASE("concurrent callers share one refresh", "[graph][token]") {
  FakeClock clock;
  FakeTransport net;
  net.respondJson(200, tokenBody("old", 3600));
  net.setHandler([](const HttpRequest&) -> Result<HttpResponse> {
    return HttpResponse{200, {}, tokenBody("new", 3600)};
  });
  ClientCredentialsTokenSource source(credentials(), net, clock);
  REQUIRE(*source.token() == "old");
  std::atomic<int> sawNew{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto token = source.tokenAfterRejection("old");
      if (token.ok() && *token == "new") ++sawNew;
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(sawNew == 8);
  CHECK(net.requestCount() == 2);  // the first token and one shared refresh
}

TEST_CASE("the token request is a form POST with every value URL-encoded", "[graph][token]") {
  FakeClock clock;
  FakeTransport net;
  net.respondJson(200, tokenBody("tok", 3600));
  ClientCredentialsTokenSource source(credentials(), net, clock);
  REQUIRE(source.token().ok());
  const auto request = net.lastRequest();
  CHECK(request.method == "POST");
  CHECK(request.url == "http://127.0.0.1:9/tenant-1/oauth2/v2.0/token");
  CHECK(request.header("Content-Type") == "application/x-www-form-urlencoded");
  CHECK(request.body ==
        "client_id=client-1&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"
        "&client_secret=s3cr%26t%3D%2B%25va%20lue&grant_type=client_credentials");
}

TEST_CASE("invalid_client is permanent and names the settings but never the secret",
          "[graph][token]") {
  FakeClock clock;
  FakeTransport net;
  net.respondJson(
      401,
      std::string(
          R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided: )") +
          "s3cr&t=+%va lue" + R"(","error_codes":[7000215]})");
  ClientCredentialsTokenSource source(credentials(), net, clock);
  auto token = source.token();
  REQUIRE_FALSE(token.ok());
  CHECK(token.error().kind == ErrorKind::kPermanent);
  CHECK(token.error().code == "invalid_client");
  CHECK(token.error().message ==
        "the token endpoint rejected the client credentials (invalid_client): check [graph] "
        "client_id and the secret in client_secret_file");
  CHECK(token.error().message.find(kSecret) == std::string::npos);
}

TEST_CASE("other client errors are permanent with the AADSTS code", "[graph][token]") {
  FakeClock clock;
  FakeTransport net;
  net.respondJson(400, R"({"error":"invalid_request","error_codes":[900023]})");
  ClientCredentialsTokenSource source(credentials(), net, clock);
  auto token = source.token();
  REQUIRE_FALSE(token.ok());
  CHECK(token.error().kind == ErrorKind::kPermanent);
  CHECK_THAT(token.error().message,
             Catch::Contains("invalid_request") && Catch::Contains("AADSTS900023"));
}

TEST_CASE("throttling, outages and network errors at the token endpoint are transient",
          "[graph][token]") {
  FakeClock clock;
  FakeTransport net;
  net.respond(429, "", {{"Retry-After", "12"}});
  net.respondJson(503, R"({"error":"temporarily_unavailable"})");
  net.respondJson(400, R"({"error":"temporarily_unavailable"})");
  net.fail(Error::transient(std::string("connection reset while sending ") + kSecret));
  net.respond(200, "<html>login</html>");
  ClientCredentialsTokenSource source(credentials(), net, clock);

  auto throttled = source.token();
  REQUIRE_FALSE(throttled.ok());
  CHECK(throttled.error().kind == ErrorKind::kTransient);
  CHECK(throttled.error().retryAfter == milliseconds(12'000));
  for (int i = 0; i < 4; ++i) {
    auto token = source.token();
    INFO(i);
    REQUIRE_FALSE(token.ok());
    CHECK(token.error().kind == ErrorKind::kTransient);
    CHECK(token.error().message.find(kSecret) == std::string::npos);
  }
  CHECK(net.pending() == 0);
}

TEST_CASE("a malformed token URL is a permanent configuration error", "[graph][token]") {
  FakeClock clock;
  FakeTransport net;
  net.fail(Error::invalidInput("invalid URL 'nope': expected scheme://host"));
  ClientCredentialsTokenSource source({"nope", "client-1", kSecret}, net, clock);
  auto token = source.token();
  REQUIRE_FALSE(token.ok());
  CHECK(token.error().kind == ErrorKind::kPermanent);
  CHECK_THAT(token.error().message, Catch::Contains("token_url"));
}
