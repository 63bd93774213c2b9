#include "daemon/subscription_manager.h"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <map>
#include <set>

#include "daemon/audit_outcomes.h"
#include "daemon/time_text.h"
#include "handlers/graph_notifications.h"

namespace appkeeper::daemon {
namespace {

bool isPending(const std::string& id) {
  return std::string_view(id).substr(0, handlers::kPendingSubscriptionPrefix.size()) ==
         handlers::kPendingSubscriptionPrefix;
}

std::string base64Url(const unsigned char* data, size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((n * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const unsigned v = (unsigned{data[i]} << 16) | (unsigned{data[i + 1]} << 8) | data[i + 2];
    for (int shift : {18, 12, 6, 0}) out.push_back(kAlphabet[(v >> shift) & 63]);
  }
  if (n - i == 1) {
    const unsigned v = unsigned{data[i]} << 16;
    for (int shift : {18, 12}) out.push_back(kAlphabet[(v >> shift) & 63]);
  } else if (n - i == 2) {
    const unsigned v = (unsigned{data[i]} << 16) | (unsigned{data[i + 1]} << 8);
    for (int shift : {18, 12, 6}) out.push_back(kAlphabet[(v >> shift) & 63]);
  }
  return out;
}

Result<std::string> randomToken(size_t bytes) {
  unsigned char buf[64];
  if (bytes > sizeof buf || RAND_bytes(buf, static_cast<int>(bytes)) != 1) {
    return Error::internal("the system random generator failed; cannot make a clientState");
  }
  return base64Url(buf, bytes);
}

// The app a stored record covers: its teamsAppId, or (older rows) the one in its resource.
std::string appOf(const store::SubscriptionRecord& r) {
  if (!r.teamsAppId.empty()) return r.teamsAppId;
  return handlers::parseInstallationResource(r.resource).teamsAppId;
}

}  // namespace

Result<std::string> newClientState() { return randomToken(32); }

std::string installationsResource(const std::string& teamsAppId) {
  return "/appCatalogs/teamsApps/" + teamsAppId + "/installations";
}

SubscriptionManager::SubscriptionManager(SubscriptionOptions options, store::Store& store,
                                         graph::GraphClient& graph, const Clock& clock,
                                         std::shared_ptr<spdlog::logger> logger)
    : options_(std::move(options)),
      store_(store),
      graph_(graph),
      clock_(clock),
      logger_(std::move(logger)) {}

void SubscriptionManager::audit(const char* outcome, const std::string& teamsAppId,
                                const std::string& detail) {
  store::AuditRecord record;
  record.event = kEventSubscription;
  record.tenantId = options_.tenantId;
  record.teamsAppId = teamsAppId;
  record.outcome = outcome;
  record.detail = detail;
  if (auto s = store_.appendAudit(record); !s) {
    logger_->warn("cannot audit subscription change ({}): {}", detail, s.error().message);
  }
}

Status SubscriptionManager::ensure(const std::vector<std::string>& watchedAppIds) {
  auto listed = graph_.listSubscriptions();
  if (!listed) return listed.error();
  auto stored = store_.subscriptions();
  if (!stored) return stored.error();

  // Only this thread creates subscriptions, so a pending record here is left over from a crash
  // during a create; the Graph side of it (if any) is deleted below as a stray.
  std::map<std::string, store::SubscriptionRecord> known;
  for (auto& record : *stored) {
    if (isPending(record.id)) {
      if (auto s = store_.removeSubscription(record.id); !s) return s;
      continue;
    }
    known.emplace(record.id, std::move(record));
  }

  const std::set<std::string> watched(watchedAppIds.begin(), watchedAppIds.end());
  std::set<std::string> covered;
  std::set<std::string> inGraph;
  std::optional<Error> firstError;
  auto note = [&](const Error& e) {
    if (!firstError) firstError = e;
  };
  for (const auto& sub : *listed) {
    if (sub.notificationUrl != notificationUrl()) continue;  // someone else's
    inGraph.insert(sub.id);
    auto it = known.find(sub.id);
    std::string why;
    if (it == known.end()) {
      why = "not in the store (its clientState cannot be checked)";
    } else {
      const std::string app = appOf(it->second);
      if (watched.count(app) == 0) {
        why = "app " + app + " is no longer watched";
      } else if (!covered.insert(app).second) {
        why = "a second subscription for app " + app;
      } else {
        store::SubscriptionRecord adopted = it->second;
        adopted.expiration = sub.expiration;
        adopted.teamsAppId = app;
        if (auto s = store_.putSubscription(adopted); !s) return s;
        logger_->info("adopted subscription {} for app {} (expires {})", sub.id, app,
                      formatRfc3339(sub.expiration));
        continue;
      }
    }
    const std::string app = it == known.end()
                                ? handlers::parseInstallationResource(sub.resource).teamsAppId
                                : appOf(it->second);
    if (auto s = remove(sub.id, app, why); !s) note(s.error());
  }

  // Stored subscriptions Graph no longer has (expired while we were down, removed): whatever
  // changed meanwhile was not delivered.
  size_t vanished = 0;
  for (const auto& [id, record] : known) {
    if (inGraph.count(id) != 0) continue;
    if (auto s = store_.removeSubscription(id); !s) return s;
    ++vanished;
    logger_->warn("subscription {} for app {} is gone from Graph; it is recreated", id,
                  appOf(record));
  }
  if (vanished > 0) {
    auto r = store_.requestReconciliation(std::to_string(vanished) +
                                          " subscriptions were gone from Graph");
    if (!r) note(r.error());
  }

  for (const auto& app : watchedAppIds) {
    if (covered.count(app) != 0) continue;
    if (auto s = create(app); !s) note(s.error());
    covered.insert(app);
  }
  if (firstError) return *firstError;
  return Ok{};
}

Status SubscriptionManager::create(const std::string& teamsAppId) {
  auto clientState = newClientState();
  if (!clientState) return clientState.error();
  auto nonce = randomToken(16);
  if (!nonce) return nonce.error();
  const WallTime expiration = clock_.now() + options_.lifetime;

  store::SubscriptionRecord pending;
  pending.id = std::string(handlers::kPendingSubscriptionPrefix) + *nonce;
  pending.resource = installationsResource(teamsAppId);
  pending.clientState = *clientState;
  pending.expiration = expiration;
  pending.teamsAppId = teamsAppId;
  if (auto s = store_.putSubscription(pending); !s) return s;

  graph::SubscriptionSpec spec;
  spec.resource = pending.resource;
  spec.notificationUrl = notificationUrl();
  spec.lifecycleNotificationUrl = lifecycleUrl();
  spec.clientState = *clientState;
  spec.expiration = expiration;
  auto created = graph_.createSubscription(spec);
  if (!created) {
    if (auto s = store_.removeSubscription(pending.id); !s) {
      logger_->warn("cannot remove the pending subscription record (the next pass does): {}",
                    s.error().message);
    }
    logger_->warn("cannot subscribe to the installations of app {} (retried on the next pass): {}",
                  teamsAppId, created.error().message);
    return created.error();
  }
  store::SubscriptionRecord record = pending;
  record.id = created->id;
  if (created->expiration != WallTime{}) record.expiration = created->expiration;
  if (auto s = store_.putSubscription(record); !s) {
    // The pending record keeps accepting its notifications; the next ensure() deletes the
    // Graph side as a stray and creates a fresh one.
    logger_->warn("subscription {} for app {} was created but cannot be stored: {}", created->id,
                  teamsAppId, s.error().message);
    return s;
  }
  if (auto s = store_.removeSubscription(pending.id); !s) {
    logger_->warn("cannot remove the pending subscription record (the next pass does): {}",
                  s.error().message);
  }
  const std::string detail = "subscription " + created->id + " on " + record.resource +
                             ", expires " + formatRfc3339(record.expiration);
  audit(kOutcomeSubscribed, teamsAppId, detail);
  logger_->info("subscribed to the installations of app {}: {}", teamsAppId, detail);
  return Ok{};
}

Status SubscriptionManager::remove(const std::string& id, const std::string& teamsAppId,
                                   const std::string& why) {
  auto deleted = graph_.deleteSubscription(id);
  if (!deleted && deleted.error().httpStatus != 404) {
    logger_->warn("cannot delete subscription {} ({}): {}", id, why, deleted.error().message);
    return deleted;
  }
  if (auto s = store_.removeSubscription(id); !s) return s;
  const std::string detail = "subscription " + id + " deleted: " + why;
  audit(kOutcomeRemoved, teamsAppId, detail);
  logger_->info("{}", detail);
  return Ok{};
}

Status SubscriptionManager::renewDue() {
  auto stored = store_.subscriptions();
  if (!stored) return stored.error();
  std::optional<Error> firstError;
  for (const auto& record : *stored) {
    if (isPending(record.id)) continue;
    const WallTime now = clock_.now();
    if (record.expiration - now >= options_.renewBefore) continue;
    const std::string app = appOf(record);
    auto renewed = graph_.renewSubscription(record.id, now + options_.lifetime);
    if (!renewed) {
      const Error& e = renewed.error();
      if (e.httpStatus == 404) {
        // Graph dropped it (expired, removed): recreate, and reconcile what was not delivered.
        if (auto s = store_.removeSubscription(record.id); !s) return s;
        audit(kOutcomeRemoved, app,
              "subscription " + record.id + " was gone from Graph at renewal; recreating it");
        logger_->warn("subscription {} for app {} was gone from Graph at renewal; recreating it",
                      record.id, app);
        if (auto s = create(app); !s && !firstError) firstError = s.error();
        if (auto r = store_.requestReconciliation("subscription " + record.id +
                                                  " was gone from Graph at renewal");
            !r && !firstError) {
          firstError = r.error();
        }
        continue;
      }
      logger_->warn("cannot renew subscription {} for app {} (retried on the next pass): {}",
                    record.id, app, e.message);
      if (!firstError) firstError = e;
      continue;
    }
    store::SubscriptionRecord updated = record;
    updated.teamsAppId = app;
    updated.expiration =
        renewed->expiration != WallTime{} ? renewed->expiration : now + options_.lifetime;
    if (auto s = store_.putSubscription(updated); !s) return s;
    const std::string detail =
        "subscription " + record.id + " renewed until " + formatRfc3339(updated.expiration);
    audit(kOutcomeRenewed, app, detail);
    logger_->info("{} (app {})", detail, app);
  }
  if (firstError) return *firstError;
  return Ok{};
}

Result<bool> SubscriptionManager::covers(const std::vector<std::string>& watchedAppIds) {
  auto stored = store_.subscriptions();
  if (!stored) return stored.error();
  std::set<std::string> apps;
  for (const auto& record : *stored) {
    if (!isPending(record.id)) apps.insert(appOf(record));
  }
  for (const auto& app : watchedAppIds) {
    if (apps.count(app) == 0) return false;
  }
  return true;
}

Result<std::optional<WallTime>> SubscriptionManager::nextRenewal() {
  auto stored = store_.subscriptions();
  if (!stored) return stored.error();
  std::optional<WallTime> next;
  for (const auto& record : *stored) {
    if (isPending(record.id)) continue;
    const WallTime due = record.expiration - options_.renewBefore;
    if (!next || due < *next) next = due;
  }
  return next;
}

}  // namespace appkeeper::daemon
