// CredentialVault and its sealing helpers against a real Store (temp file).
#include "daemon/credential_vault.h"

#include <catch2/catch.hpp>

#include "daemon_test_support.h"
#include "handlers/base64.h"

using namespace appkeeper;
using namespace appkeeper::daemon;
using namespace appkeeper::daemon::testing;

namespace {

const std::string kKey(32, 'k');
const std::string kOtherKey(32, 'o');

struct VaultFixture {
  TempDir dir;
  FakeClock clock;
  std::unique_ptr<store::Store> store{must(store::Store::open(dir.file("appkeeper.db"), clock))};
  CredentialVault vault{kKey, *store};

  void enqueueBlocked(const std::string& installation) {
    store::JobSpec spec{"tenant-1", "t1", installation, "app-1", "1.0.0", "2.0.0", std::nullopt};
    REQUIRE(must(store->enqueue({spec})) == 1);
    auto job = must(store->claimJob("w1", 60s));
    REQUIRE(job.has_value());
    store::AuditRecord audit;
    audit.outcome = "needs-delegated-consent";
    audit.detail = "app requires resource-specific consent";
    REQUIRE(store->finishJob(job->id, "w1", store::JobState::kBlocked, audit).ok());
  }
};

graph::DelegatedGrant grantFor(const std::string& account, const std::string& refresh) {
  graph::DelegatedGrant g;
  g.accessToken = "access";
  g.refreshToken = refresh;
  g.account = account;
  return g;
}

}  // namespace

TEST_CASE("a sealed secret opens with its key and hides the plain text", "[daemon][vault]") {
  const std::string sealed = must(sealSecret(kKey, "refresh-token-value"));
  CHECK(sealed.rfind("v1.", 0) == 0);
  CHECK(sealed.find("refresh-token-value") == std::string::npos);
  CHECK(must(openSecret(kKey, sealed)) == "refresh-token-value");
  // A fresh nonce each time: the same token never seals to the same text.
  CHECK(must(sealSecret(kKey, "refresh-token-value")) != sealed);
  CHECK(must(openSecret(kKey, must(sealSecret(kKey, "")))).empty());
}

TEST_CASE("a sealed secret is refused under another key", "[daemon][vault]") {
  const std::string sealed = must(sealSecret(kKey, "refresh-token-value"));
  auto opened = openSecret(kOtherKey, sealed);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().kind == ErrorKind::kPermanent);
  CHECK(opened.error().code == graph::kLoginRequiredCode);
  CHECK(opened.error().message.find("run `appkeeper login`") != std::string::npos);
  CHECK(opened.error().message.find("refresh-token-value") == std::string::npos);
}

TEST_CASE("a tampered sealed secret is refused, not decrypted into garbage", "[daemon][vault]") {
  const std::string sealed = must(sealSecret(kKey, "refresh-token-value"));
  auto raw = *handlers::base64Decode(sealed.substr(3));
  for (size_t at : {size_t{0}, size_t{14}, raw.size() - 1}) {  // nonce, cipher text, tag
    std::string edited = raw;
    edited[at] = static_cast<char>(edited[at] ^ 0x01);
    INFO("byte " << at);
    CHECK_FALSE(openSecret(kKey, "v1." + handlers::base64Encode(edited)).ok());
  }
  CHECK_FALSE(openSecret(kKey, "v2." + sealed.substr(3)).ok());
  CHECK_FALSE(openSecret(kKey, "v1.!!!").ok());
  CHECK_FALSE(openSecret(kKey, "v1." + handlers::base64Encode("short")).ok());
  CHECK(sealSecret("short key", "x").error().kind == ErrorKind::kInvalidInput);
}

TEST_CASE("nothing stored loads as no refresh token", "[daemon][vault]") {
  VaultFixture f;
  CHECK_FALSE(must(f.vault.load()).has_value());
}

TEST_CASE("storeLogin seals the token, audits signed-in and releases every blocked job",
          "[daemon][vault]") {
  VaultFixture f;
  f.enqueueBlocked("i1");
  f.enqueueBlocked("i2");
  CHECK(must(f.vault.storeLogin(grantFor("admin@contoso.test", "rt-1"))) == 2);

  auto credential = must(f.store->delegatedCredential());
  REQUIRE(credential.has_value());
  CHECK(credential->account == "admin@contoso.test");
  CHECK(credential->sealed.find("rt-1") == std::string::npos);
  CHECK(credential->invalidReason.empty());
  CHECK(must(f.vault.load()) == std::optional<std::string>("rt-1"));
  auto signedIn = auditOf(*f.store, "login", "signed-in");
  REQUIRE(signedIn.size() == 1);
  CHECK(signedIn[0].detail.find("admin@contoso.test") != std::string::npos);
  CHECK(must(f.store->listJobs(store::JobState::kQueued, 0)).size() == 2);
  CHECK(must(f.store->listJobs(store::JobState::kBlocked, 0)).empty());
}

TEST_CASE("a grant without a refresh token is not stored", "[daemon][vault]") {
  VaultFixture f;
  auto stored = f.vault.storeLogin(grantFor("admin@contoso.test", ""));
  REQUIRE_FALSE(stored.ok());
  CHECK(stored.error().message.find("offline_access") != std::string::npos);
  CHECK_FALSE(must(f.store->delegatedCredential()).has_value());
}

TEST_CASE("a rotated refresh token replaces the old one and keeps the account", "[daemon][vault]") {
  VaultFixture f;
  REQUIRE(f.vault.storeLogin(grantFor("admin@contoso.test", "rt-1")).ok());
  REQUIRE(f.vault.save("rt-2").ok());
  CHECK(must(f.vault.load()) == std::optional<std::string>("rt-2"));
  CHECK(must(f.store->delegatedCredential())->account == "admin@contoso.test");
}

TEST_CASE("invalidate records the reason and the token no longer loads", "[daemon][vault]") {
  VaultFixture f;
  REQUIRE(f.vault.storeLogin(grantFor("admin@contoso.test", "rt-1")).ok());
  f.vault.invalidate("invalid_grant: AADSTS50173: the grant was revoked");
  CHECK_FALSE(must(f.vault.load()).has_value());
  auto credential = must(f.store->delegatedCredential());
  REQUIRE(credential.has_value());
  CHECK(credential->invalidReason == "invalid_grant: AADSTS50173: the grant was revoked");
  auto audited = auditOf(*f.store, "login", "login-required");
  REQUIRE(audited.size() == 1);
  CHECK(audited[0].detail.find("invalid_grant") != std::string::npos);

  // A new login makes it usable again.
  REQUIRE(f.vault.storeLogin(grantFor("admin@contoso.test", "rt-3")).ok());
  CHECK(must(f.vault.load()) == std::optional<std::string>("rt-3"));
}

TEST_CASE("a credential sealed under another key asks for a new login", "[daemon][vault]") {
  VaultFixture f;
  REQUIRE(f.vault.storeLogin(grantFor("admin@contoso.test", "rt-1")).ok());
  CredentialVault rekeyed(kOtherKey, *f.store);
  auto loaded = rekeyed.load();
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.error().code == graph::kLoginRequiredCode);
}
