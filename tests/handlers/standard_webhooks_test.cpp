#include "handlers/standard_webhooks.h"

#include <catch2/catch.hpp>

#include "fakes/fake_clock.h"

using namespace appkeeper;
using namespace appkeeper::handlers;

namespace {

// The test vector of the Standard Webhooks spec (standard-webhooks/standard-webhooks).
constexpr char kSpecSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr char kSpecId[] = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr char kSpecTimestamp[] = "1614265330";
constexpr char kSpecBody[] = R"({"test": 2432232314})";
constexpr char kSpecSignature[] = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

// Made with OpenSSL, independent of our HMAC code:
//   printf '%s' 'msg_2Lq.1800000000.{"type":"teamsApp.published"}' | openssl dgst -sha256 -mac HMAC
//     -macopt hexkey:$(printf '%s' appkeeper-handlers-test-key-2026 | xxd -p -c 256) -binary |
//     base64
constexpr char kOurSecret[] = "whsec_YXBwa2VlcGVyLWhhbmRsZXJzLXRlc3Qta2V5LTIwMjY=";
constexpr char kOurSignature[] = "v1,2Hb+OqaC0K6Ha908X6ilI8ag6bEOenllf3A9H9qDLvc=";
constexpr char kOurBody[] = R"({"type":"teamsApp.published"})";

WallTime unixSeconds(int64_t s) { return WallTime(std::chrono::seconds(s)); }

WebhookKey key(const char* secret) {
  auto k = WebhookKey::fromSecret(secret);
  REQUIRE(k.ok());
  return k.value();
}

SignedDelivery specDelivery(std::string_view signature) {
  return {kSpecId, kSpecTimestamp, signature, kSpecBody};
}

}  // namespace

TEST_CASE("the Standard Webhooks spec test vector signs and verifies", "[handlers]") {
  CHECK(signStandardWebhook(kSpecSecret, kSpecId, kSpecTimestamp, kSpecBody) == kSpecSignature);
  CHECK(
      verifyStandardWebhook(key(kSpecSecret), specDelivery(kSpecSignature), unixSeconds(1614265330))
          .ok());
}

TEST_CASE("a signature computed by openssl verifies", "[handlers]") {
  testing::FakeClock clock;  // 1800000000 s
  SignedDelivery d{"msg_2Lq", "1800000000", kOurSignature, kOurBody};
  CHECK(verifyStandardWebhook(key(kOurSecret), d, clock.now()).ok());
  CHECK(signStandardWebhook(kOurSecret, "msg_2Lq", "1800000000", kOurBody) == kOurSignature);
}

TEST_CASE("any matching v1 entry in a list of signatures accepts (key rotation)", "[handlers]") {
  std::string list = std::string("v1,Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE= ") +
                     kSpecSignature + " v1,bm90LWJhc2U2NC0-";
  CHECK(verifyStandardWebhook(key(kSpecSecret), specDelivery(list), unixSeconds(1614265330)).ok());
}

TEST_CASE("signature entries of other versions are ignored", "[handlers]") {
  // The right MAC under a version tag we do not implement must not count.
  std::string v2 = "v2," + std::string(kSpecSignature).substr(3);
  auto only = verifyStandardWebhook(key(kSpecSecret), specDelivery(v2), unixSeconds(1614265330));
  REQUIRE_FALSE(only.ok());
  CHECK(only.error().message == "no signature matched");
  std::string mixed = v2 + " " + kSpecSignature;
  CHECK(verifyStandardWebhook(key(kSpecSecret), specDelivery(mixed), unixSeconds(1614265330)).ok());
}

TEST_CASE("a signature over a different body, id or timestamp does not match", "[handlers]") {
  auto k = key(kSpecSecret);
  auto now = unixSeconds(1614265330);
  SignedDelivery body{kSpecId, kSpecTimestamp, kSpecSignature, R"({"test": 2432232315})"};
  SignedDelivery id{"msg_other", kSpecTimestamp, kSpecSignature, kSpecBody};
  SignedDelivery ts{kSpecId, "1614265331", kSpecSignature, kSpecBody};
  for (const auto& d : {body, id, ts}) {
    auto r = verifyStandardWebhook(k, d, now);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::kInvalidInput);
    CHECK(r.error().message == "no signature matched");
  }
  CHECK_FALSE(verifyStandardWebhook(key(kOurSecret), specDelivery(kSpecSignature), now).ok());
  CHECK_FALSE(verifyStandardWebhook(k, specDelivery("v1,"), now).ok());
  CHECK_FALSE(verifyStandardWebhook(k, specDelivery(""), now).ok());
}

TEST_CASE("timestamps more than 5 minutes old or ahead are refused", "[handlers]") {
  auto k = key(kSpecSecret);
  const int64_t sent = 1614265330;
  CHECK(verifyStandardWebhook(k, specDelivery(kSpecSignature), unixSeconds(sent + 300)).ok());
  CHECK(verifyStandardWebhook(k, specDelivery(kSpecSignature), unixSeconds(sent - 300)).ok());
  for (int64_t now : {sent + 301, sent - 301, sent + 86400}) {
    auto r = verifyStandardWebhook(k, specDelivery(kSpecSignature), unixSeconds(now));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "timestamp outside the 5-minute tolerance");
  }
}

TEST_CASE("missing webhook headers are named in the error", "[handlers]") {
  auto k = key(kSpecSecret);
  auto now = unixSeconds(1614265330);
  auto message = [&](SignedDelivery d) { return verifyStandardWebhook(k, d, now).error().message; };
  CHECK(message({std::nullopt, kSpecTimestamp, kSpecSignature, kSpecBody}) ==
        "missing webhook-id header");
  CHECK(message({kSpecId, std::nullopt, kSpecSignature, kSpecBody}) ==
        "missing webhook-timestamp header");
  CHECK(message({kSpecId, kSpecTimestamp, std::nullopt, kSpecBody}) ==
        "missing webhook-signature header");
}

TEST_CASE("timestamps that are not plain Unix seconds are refused", "[handlers]") {
  auto k = key(kSpecSecret);
  for (const char* ts : {"", "abc", "-1614265330", "+1614265330", "1614265330.5", " 1614265330",
                         "1614265330000000"}) {
    auto r =
        verifyStandardWebhook(k, {kSpecId, ts, kSpecSignature, kSpecBody}, unixSeconds(1614265330));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "invalid webhook-timestamp header");
  }
}

TEST_CASE("a secret that is not whsec_ followed by base64 is refused without echoing it",
          "[handlers]") {
  for (const char* bad :
       {"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_MfKQ9r8G!!qrTwjU", "whsec_", "whsec_Zh=="}) {
    auto k = WebhookKey::fromSecret(bad);
    REQUIRE_FALSE(k.ok());
    CHECK(k.error().kind == ErrorKind::kInvalidInput);
    CHECK(k.error().message.find(bad) == std::string::npos);
  }
  CHECK_THROWS_AS(signStandardWebhook(std::string("not-a-secret"), "id", "1", "{}"),
                  std::invalid_argument);
}
