// RefreshTokenSource against a scripted token endpoint and an in-memory RefreshTokenStore.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "fakes/fake_clock.h"
#include "fakes/fake_transport.h"
#include "graph/delegated_tokens.h"
#include "graph/url.h"

using namespace appkeeper;
using namespace appkeeper::graph;
using namespace appkeeper::testing;
using std::chrono::seconds;

namespace {

const char* kRefresh = "0.ARwA-first-refresh-token";
const char* kRotated = "0.ARwA-rotated-refresh-token";

// Records what the source did with it.
class MemoryRefreshTokenStore final : public RefreshTokenStore {
 public:
  explicit MemoryRefreshTokenStore(std::optional<std::string> token) : token_(std::move(token)) {}
  Result<std::optional<std::string>> load() override {
    ++loads;
    if (loadError) return *loadError;
    return token_;
  }
  Status save(const std::string& refreshToken) override {
    if (saveError) return *saveError;
    saved.push_back(refreshToken);
    token_ = refreshToken;
    return Ok{};
  }
  void invalidate(const std::string& reason) override {
    invalidations.push_back(reason);
    token_.reset();
  }

  int loads = 0;
  std::optional<Error> loadError;
  std::optional<Error> saveError;
  std::vector<std::string> saved;
  std::vector<std::string> invalidations;

 private:
  std::optional<std::string> token_;
};

DelegatedClient client() {
  DelegatedClient c;
  c.tokenUrl = "https://login.test/tenant-1/oauth2/v2.0/token";
  c.deviceCodeUrl = "https://login.test/tenant-1/oauth2/v2.0/devicecode";
  c.clientId = "client-1";
  return c;
}

std::string grantBody(const std::string& access, int expiresIn,
                      const std::string& refresh = std::string()) {
  nlohmann::json body = {
      {"token_type", "Bearer"}, {"expires_in", expiresIn}, {"access_token", access}};
  if (!refresh.empty()) body["refresh_token"] = refresh;
  return body.dump();
}

std::string tokenError(const std::string& code, const std::string& description) {
  return nlohmann::json{
      {"error", code}, {"error_description", description}, {"error_codes", {700082}}}
      .dump();
}

void checkNoSecrets(const Error& e) {
  INFO(e.message);
  CHECK(e.message.find("refresh-token") == std::string::npos);
  CHECK(e.message.find("access-") == std::string::npos);
}

struct Harness {
  FakeClock clock;
  FakeTransport net;
  MemoryRefreshTokenStore store{std::string(kRefresh)};
  RefreshTokenSource source{client(), store, net, clock};
};

}  // namespace

TEST_CASE("the refresh token is redeemed with a form POST of the refresh grant",
          "[graph][delegated]") {
  Harness h;
  h.net.respondJson(200, grantBody("access-1", 3600));
  auto token = h.source.token();
  REQUIRE(token.ok());
  CHECK(*token == "access-1");
  const auto request = h.net.lastRequest();
  CHECK(request.method == "POST");
  CHECK(request.url == client().tokenUrl);
  CHECK(request.header("Content-Type") == "application/x-www-form-urlencoded");
  CHECK(request.body ==
        "grant_type=refresh_token&client_id=client-1&refresh_token=" + encodeFormValue(kRefresh) +
            "&scope=" + encodeFormValue(client().scope));
  CHECK(request.body.find("client_secret") == std::string::npos);
}

TEST_CASE("a delegated access token is reused until shortly before it expires",
          "[graph][delegated]") {
  Harness h;
  h.net.respondJson(200, grantBody("access-1", 3600));
  h.net.respondJson(200, grantBody("access-2", 3600));
  CHECK(*h.source.token() == "access-1");
  h.clock.advance(seconds(3600 - 300 - 1));
  CHECK(*h.source.token() == "access-1");
  CHECK(h.net.requestCount() == 1);
  h.clock.advance(seconds(1));
  CHECK(*h.source.token() == "access-2");
  CHECK(h.net.requestCount() == 2);
}

TEST_CASE("a short-lived delegated token is refreshed halfway", "[graph][delegated]") {
  Harness h;
  h.net.respondJson(200, grantBody("access-1", 10));
  h.net.respondJson(200, grantBody("access-2", 10));
  CHECK(*h.source.token() == "access-1");
  h.clock.advance(seconds(4));
  CHECK(*h.source.token() == "access-1");
  h.clock.advance(seconds(1));
  CHECK(*h.source.token() == "access-2");
}

TEST_CASE("a rotated refresh token is saved and used for the next refresh", "[graph][delegated]") {
  Harness h;
  h.net.respondJson(200, grantBody("access-1", 3600, kRotated));
  h.net.respondJson(200, grantBody("access-2", 3600, kRotated));
  REQUIRE(h.source.token().ok());
  CHECK(h.store.saved == std::vector<std::string>{kRotated});
  REQUIRE(h.source.token(/*forceRefresh=*/true).ok());
  CHECK(h.net.lastRequest().body.find(encodeFormValue(kRotated)) != std::string::npos);
  CHECK(h.store.saved.size() == 1);  // the same token again is not saved twice
}

TEST_CASE("a rotated refresh token that cannot be saved hands out no access token",
          "[graph][delegated]") {
  Harness h;
  h.store.saveError = Error::transient("database is locked");
  h.net.respondJson(200, grantBody("access-1", 3600, kRotated));
  h.net.respondJson(200, grantBody("access-2", 3600, kRotated));
  auto token = h.source.token();
  REQUIRE_FALSE(token.ok());
  CHECK(token.error().kind == ErrorKind::kTransient);
  checkNoSecrets(token.error());
  // Not cached: the next call redeems the old (still valid) refresh token and saves again.
  h.store.saveError.reset();
  auto retried = h.source.token();
  REQUIRE(retried.ok());
  CHECK(*retried == "access-2");
  CHECK(h.store.saved == std::vector<std::string>{kRotated});
}

TEST_CASE("invalid_grant invalidates the stored token and asks for appkeeper login",
          "[graph][delegated]") {
  Harness h;
  h.net.respondJson(
      400, tokenError("invalid_grant", std::string("AADSTS700082: The refresh token ") + kRefresh +
                                           " has expired due to inactivity.\r\nTrace ID: abc"));
  auto token = h.source.token();
  REQUIRE_FALSE(token.ok());
  CHECK(token.error().kind == ErrorKind::kPermanent);
  CHECK(token.error().code == kLoginRequiredCode);
  CHECK(token.error().httpStatus == 400);
  CHECK_THAT(token.error().message, Catch::EndsWith("run `appkeeper login`"));
  CHECK_THAT(token.error().message, Catch::Contains("AADSTS700082"));
  checkNoSecrets(token.error());
  REQUIRE(h.store.invalidations.size() == 1);
  const std::string& reason = h.store.invalidations.front();
  CHECK_THAT(reason, Catch::StartsWith("invalid_grant: AADSTS700082"));
  CHECK(reason.find(kRefresh) == std::string::npos);
  CHECK(reason.find("Trace ID") == std::string::npos);
}

TEST_CASE("interaction_required and consent_required also need a new sign-in",
          "[graph][delegated]") {
  for (const char* code : {"interaction_required", "consent_required"}) {
    Harness h;
    h.net.respondJson(400, tokenError(code, "AADSTS50076: MFA is required."));
    auto token = h.source.token();
    REQUIRE_FALSE(token.ok());
    CHECK(token.error().code == kLoginRequiredCode);
    CHECK(h.store.invalidations.size() == 1);
  }
}

TEST_CASE("without a stored refresh token nothing is sent and login is required",
          "[graph][delegated]") {
  FakeClock clock;
  FakeTransport net;
  MemoryRefreshTokenStore store{std::nullopt};
  RefreshTokenSource source{client(), store, net, clock};
  auto token = source.token();
  REQUIRE_FALSE(token.ok());
  CHECK(token.error().kind == ErrorKind::kPermanent);
  CHECK(token.error().code == kLoginRequiredCode);
  CHECK_THAT(token.error().message, Catch::EndsWith("run `appkeeper login`"));
  CHECK(net.requestCount() == 0);
  CHECK(store.invalidations.empty());
}

TEST_CASE("a store that cannot be read passes its error through", "[graph][delegated]") {
  Harness h;
  h.store.loadError = Error::transient("database is locked");
  auto token = h.source.token();
  REQUIRE_FALSE(token.ok());
  CHECK(token.error().kind == ErrorKind::kTransient);
  CHECK(h.net.requestCount() == 0);
}

TEST_CASE("outages of the token endpoint are transient and keep the stored token",
          "[graph][delegated]") {
  Harness h;
  h.net.respondJson(503, tokenError("temporarily_unavailable", "try later"),
                    {{"Retry-After", "7"}});
  h.net.fail(Error::transient(std::string("connection reset while sending ") + kRefresh));
  for (int i = 0; i < 2; ++i) {
    auto token = h.source.token();
    REQUIRE_FALSE(token.ok());
    CHECK(token.error().kind == ErrorKind::kTransient);
    CHECK(token.error().code != kLoginRequiredCode);
    checkNoSecrets(token.error());
  }
  CHECK(h.store.invalidations.empty());
}

TEST_CASE("workers rejected with the same delegated token share one refresh",
          "[graph][delegated]") {
  Harness h;
  h.net.respondJson(200, grantBody("access-old", 3600));
  h.net.respondJson(200, grantBody("access-new", 3600));
  CHECK(*h.source.token() == "access-old");
  CHECK(*h.source.tokenAfterRejection("access-old") == "access-new");
  CHECK(*h.source.tokenAfterRejection("access-old") == "access-new");
  CHECK(h.net.requestCount() == 2);
}
