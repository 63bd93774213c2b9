// Graph subscriptions we created, so inbound notifications can be checked against their
// clientState. The clientState is a secret: it is stored, compared by the caller, never logged.
#include <atomic>

#include "store/sqlite_error.h"
#include "store/store_impl.h"

namespace appkeeper::store {
namespace {

constexpr const char* kSubscriptionColumns = "id, resource, client_state, expiration, teams_app_id";

SubscriptionRecord readSubscription(const SQLite::Statement& row) {
  SubscriptionRecord s;
  s.id = row.getColumn(0).getString();
  s.resource = row.getColumn(1).getString();
  s.clientState = row.getColumn(2).getString();
  s.expiration = fromUnixMillis(row.getColumn(3).getInt64());
  s.teamsAppId = row.getColumn(4).getString();
  return s;
}

// Store::subscriptionsVersion's counter: process-wide, as every Store of the process shares it.
std::atomic<uint64_t>& subscriptionsVersionCounter() {
  static std::atomic<uint64_t> version{0};
  return version;
}

}  // namespace

uint64_t Store::subscriptionsVersion() { return subscriptionsVersionCounter().load(); }

Status Store::putSubscription(const SubscriptionRecord& s) {
  return guarded("saving a subscription", [&]() -> Status {
    if (auto refused = impl_->refuseIfReadOnly("saving a subscription")) return *refused;
    SQLite::Statement put(*impl_->db,
                          "INSERT INTO subscriptions (id, resource, client_state, expiration, "
                          "teams_app_id) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO UPDATE "
                          "SET resource = excluded.resource, client_state = excluded.client_state, "
                          "expiration = excluded.expiration, teams_app_id = excluded.teams_app_id");
    put.bind(1, s.id);
    put.bind(2, s.resource);
    put.bind(3, s.clientState);
    put.bind(4, toUnixMillis(s.expiration));
    put.bind(5, s.teamsAppId);
    put.exec();
    ++subscriptionsVersionCounter();  // after the write: a read that saw the old row is stale
    return Ok{};
  });
}

Result<std::optional<SubscriptionRecord>> Store::subscription(const std::string& id) {
  return guarded("reading a subscription", [&]() -> Result<std::optional<SubscriptionRecord>> {
    // Cached: every Graph delivery looks its subscription up (preparing it was a sixth of the
    // notification route's CPU).
    static const std::string sql =
        std::string("SELECT ") + kSubscriptionColumns + " FROM subscriptions WHERE id = ?1";
    StatementUse query(impl_->prepared(impl_->cached.subscriptionById, sql.c_str()));
    query->bind(1, id);
    if (!query->executeStep()) return std::optional<SubscriptionRecord>();
    return std::optional<SubscriptionRecord>(readSubscription(*query));
  });
}

Status Store::removeSubscription(const std::string& id) {
  return guarded("removing a subscription", [&]() -> Status {
    if (auto refused = impl_->refuseIfReadOnly("removing a subscription")) return *refused;
    SQLite::Statement remove(*impl_->db, "DELETE FROM subscriptions WHERE id = ?1");
    remove.bind(1, id);
    remove.exec();
    ++subscriptionsVersionCounter();
    return Ok{};
  });
}

Result<std::vector<SubscriptionRecord>> Store::subscriptions() {
  return guarded("listing subscriptions", [&]() -> Result<std::vector<SubscriptionRecord>> {
    SQLite::Statement query(*impl_->db, std::string("SELECT ") + kSubscriptionColumns +
                                            " FROM subscriptions ORDER BY id");
    std::vector<SubscriptionRecord> all;
    while (query.executeStep()) all.push_back(readSubscription(query));
    return all;
  });
}

}  // namespace appkeeper::store
