// The delegated credential of `appkeeper login`: one sealed row, replaced on every rotation, kept
// (marked unusable, audited once) when the identity platform rejects it.
#include <catch2/catch.hpp>

#include "store_test_support.h"

namespace appkeeper::store::testing {
namespace {

DelegatedCredential credential(const std::string& sealed, const std::string& account = "") {
  DelegatedCredential c;
  c.sealed = sealed;
  c.account = account;
  return c;
}

std::vector<AuditRecord> loginRecords(Store& store) {
  std::vector<AuditRecord> out;
  for (auto& r : must(store.queryAudit({}))) {
    if (r.event == "login") out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

TEST_CASE("no delegated credential is stored until a login puts one", "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  CHECK_FALSE(must(store->delegatedCredential()).has_value());
  must(store->invalidateDelegatedCredential("invalid_grant"));  // nothing to mark
  CHECK_FALSE(must(store->delegatedCredential()).has_value());
  CHECK(loginRecords(*store).empty());
}

TEST_CASE("a rotation replaces the stored credential and its time", "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  must(store->putDelegatedCredential(credential("c2VhbGVkLTE=", "admin@contoso")));
  const auto first = must(store->delegatedCredential());
  REQUIRE(first);
  CHECK(first->sealed == "c2VhbGVkLTE=");
  CHECK(first->account == "admin@contoso");
  CHECK(first->storedAt == clock.now());  // epoch means now
  CHECK(first->invalidReason.empty());

  clock.advance(1h);
  DelegatedCredential rotated = credential("c2VhbGVkLTI=", "admin@contoso");
  rotated.storedAt = clock.now() - 1s;
  must(store->putDelegatedCredential(rotated));
  const auto second = must(store->delegatedCredential());
  REQUIRE(second);
  CHECK(second->sealed == "c2VhbGVkLTI=");
  CHECK(second->storedAt == clock.now() - 1s);
}

TEST_CASE(
    "invalidating keeps the credential, records why and audits login-required once; a new login "
    "makes it usable again",
    "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  must(store->putDelegatedCredential(credential("c2VhbGVk", "admin@contoso")));

  must(store->invalidateDelegatedCredential("invalid_grant: AADSTS700082 token expired"));
  must(store->invalidateDelegatedCredential("interaction_required"));  // a second worker: no-op

  const auto stored = must(store->delegatedCredential());
  REQUIRE(stored);
  CHECK(stored->sealed == "c2VhbGVk");  // kept for status
  CHECK(stored->account == "admin@contoso");
  CHECK(stored->invalidReason == "invalid_grant: AADSTS700082 token expired");
  auto records = loginRecords(*store);
  REQUIRE(records.size() == 1);
  CHECK(records[0].outcome == "login-required");
  CHECK(records[0].detail == "invalid_grant: AADSTS700082 token expired");
  CHECK(records[0].time == clock.now());

  must(store->putDelegatedCredential(credential("bmV3", "admin@contoso")));
  CHECK(must(store->delegatedCredential())->invalidReason.empty());
  must(store->invalidateDelegatedCredential("invalid_grant"));
  CHECK(loginRecords(*store).size() == 2);
}

TEST_CASE("an invalidation without a reason still leaves the credential unusable", "[store]") {
  FakeClock clock;
  auto store = openOk(":memory:", clock);
  must(store->putDelegatedCredential(credential("c2VhbGVk")));
  must(store->invalidateDelegatedCredential(""));
  CHECK_FALSE(must(store->delegatedCredential())->invalidReason.empty());
}

}  // namespace appkeeper::store::testing
