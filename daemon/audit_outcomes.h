// The audit vocabulary the daemon writes: event names and outcomes. The outcome strings are a
// contract (README, `appkeeper audit --outcome`): upgraded, skipped, retrying, waiting,
// needs-delegated-consent, failed; for inbound events (written by handlers/) accepted,
// duplicate, rejected; and planned, for a publish event or notification the planner turned
// into jobs; requested/reconciled (reconciliation), confirmed (Graph reported an upgrade back),
// released (a blocked job retried after login), subscribed/renewed/removed (subscriptions),
// signed-in/login-required (delegated login), reloaded (SIGHUP: the config read again). Constants only; thread-safe.
#pragma once

#include <string>
#include <vector>

namespace appkeeper::daemon {

inline constexpr const char* kEventUpgrade = "upgrade";
inline constexpr const char* kEventPlan = "plan";
inline constexpr const char* kEventReconcile = "reconcile";
inline constexpr const char* kEventSubscription = "subscription";
inline constexpr const char* kEventLogin = "login";
inline constexpr const char* kEventConfirm = "upgrade-confirmed";
inline constexpr const char* kEventConfig = "config";

inline constexpr const char* kOutcomeUpgraded = "upgraded";
inline constexpr const char* kOutcomeSkipped = "skipped";
inline constexpr const char* kOutcomeRetrying = "retrying";
inline constexpr const char* kOutcomeWaiting = "waiting";
inline constexpr const char* kOutcomeNeedsDelegatedConsent = "needs-delegated-consent";
inline constexpr const char* kOutcomeFailed = "failed";
inline constexpr const char* kOutcomePlanned = "planned";
inline constexpr const char* kOutcomeRequested = "requested";
inline constexpr const char* kOutcomeReconciled = "reconciled";
inline constexpr const char* kOutcomeConfirmed = "confirmed";
inline constexpr const char* kOutcomeReleased = "released";
inline constexpr const char* kOutcomeSubscribed = "subscribed";
inline constexpr const char* kOutcomeRenewed = "renewed";
inline constexpr const char* kOutcomeRemoved = "removed";
inline constexpr const char* kOutcomeSignedIn = "signed-in";
inline constexpr const char* kOutcomeLoginRequired = "login-required";
inline constexpr const char* kOutcomeReloaded = "reloaded";

// Every outcome an audit record can carry, in the order the help lists them.
inline const std::vector<std::string>& knownOutcomes() {
  static const std::vector<std::string> outcomes = {kOutcomeUpgraded,
                                                    kOutcomeSkipped,
                                                    kOutcomeRetrying,
                                                    kOutcomeWaiting,
                                                    kOutcomeNeedsDelegatedConsent,
                                                    kOutcomeFailed,
                                                    kOutcomePlanned,
                                                    kOutcomeRequested,
                                                    kOutcomeReconciled,
                                                    kOutcomeConfirmed,
                                                    kOutcomeReleased,
                                                    kOutcomeSubscribed,
                                                    kOutcomeRenewed,
                                                    kOutcomeRemoved,
                                                    kOutcomeSignedIn,
                                                    kOutcomeLoginRequired,
                                                    kOutcomeReloaded,
                                                    "accepted",
                                                    "duplicate",
                                                    "rejected"};
  return outcomes;
}

}  // namespace appkeeper::daemon
