// How `appkeeper status` prints the daemon's state: a snapshot read from the store (by
// status_command.cpp) rendered as readable text or one JSON document. Subscriptions show id,
// resource, app and expiry (never clientState); jobs by state and the oldest queued job's age;
// the active reconciliation's progress and the last finished one; the last failed upgrades;
// the delegated sign-in: none, signed in (account, when), or login needed (why).
// Pure; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "store/store.h"

namespace appkeeper::daemon {

struct StatusSnapshot {
  WallTime now;
  std::vector<store::SubscriptionRecord> subscriptions;
  std::map<store::JobState, int64_t> jobCounts;
  std::optional<WallTime> oldestQueuedAt;  // createdAt of the oldest queued job
  std::optional<store::Reconciliation> activeReconciliation, lastReconciliation;
  std::vector<store::AuditRecord> recentFailures;  // oldest first
  std::optional<store::DelegatedCredential> delegated;
};

// "none", "signed-in" or "login-required".
std::string delegatedState(const std::optional<store::DelegatedCredential>& credential);

// A duration for people: "45s", "12m", "3h 5m", "2d 4h"; negative durations as their magnitude.
std::string formatAge(std::chrono::milliseconds d);

// Keys: subscriptions [{id, resource, teamsAppId, expiration, expired}], jobs {state: count},
// oldestQueuedAt (RFC 3339 or null), reconciliation {active, last} (null or {id, state, reason,
// requestedAt, startedAt, finishedAt, teamsScanned, installationsFound, driftCorrected,
// jobsEnqueued, cursorPresent}), recentFailures (audit records as `audit --format jsonl`),
// delegatedLogin {state, account, since, reason}.
nlohmann::json statusToJson(const StatusSnapshot& snapshot);
void writeStatusText(std::ostream& out, const StatusSnapshot& snapshot);

}  // namespace appkeeper::daemon
