// POST /graph/notifications and POST /graph/lifecycle: Microsoft Graph change and lifecycle
// notifications (shared/graph-api.md 3.5-3.8).
//
// validationHandshake answers the subscription validation request: the decoded validationToken
// echoed as text/plain (opaque, never interpreted). handleGraphNotifications checks every item's
// clientState against the stored subscription, persists the accepted items as one inbox payload
// {"value":[...]} together with one audit record per item (accepted or rejected) in a single
// store call, and answers 202 - no Graph call inline, so the answer stays far below Graph's 3 s.
// handleGraphLifecycle does exactly the same for the lifecycleNotificationUrl (audit event
// "graph-lifecycle"); the planner acts on an item's lifecycleEvent wherever it arrived, since
// Graph may send lifecycle items to either URL.
//
// A clientState matches the stored subscription with that id, or - while the daemon creates a
// subscription and Graph's answer (with the id) is not stored yet - a pending record whose id
// starts with kPendingSubscriptionPrefix: Graph may deliver before create returns.
//
// Borrows the store and logger for the call only. Not thread-safe beyond what the borrowed store
// is (one store connection per calling thread). Never throws: bad bodies are 400, a store that
// cannot keep the delivery is 503 + Retry-After so Graph retries. clientState values are never
// logged, audited or echoed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/inbound_request.h"
#include "nlohmann/json.hpp"
#include "store/store.h"

namespace spdlog {
class logger;
}

namespace appkeeper::handlers {

class ClientStateCache;
class InboundWriter;

inline constexpr size_t kMaxValidationTokenBytes = 1024;
// Subscription records stored before POST /subscriptions answers: "pending:<nonce>".
inline constexpr std::string_view kPendingSubscriptionPrefix = "pending:";
inline constexpr char kLifecycleAuditEvent[] = "graph-lifecycle";

// 200 text/plain echo when the request carries a validationToken query parameter (whatever its
// content type), 400 when that token is empty or longer than kMaxValidationTokenBytes; nullopt
// when there is no validationToken (a notification delivery).
std::optional<InboundResponse> validationHandshake(const InboundRequest& request);

// {"value":[...]} where every element is an object; kInvalidInput saying what is wrong otherwise.
Result<std::vector<nlohmann::json>> parseNotificationBatch(std::string_view body);

// The app and installation named by a resource such as
// "appCatalogs/teamsApps('{app}')/installations('{iid}')" (or the "/{app}/installations/{iid}"
// form); empty strings for any other resource.
struct InstallationRef {
  std::string teamsAppId;
  std::string installationId;
};
InstallationRef parseInstallationResource(std::string_view resource);

// The two halves of handleGraphNotifications / handleGraphLifecycle, so that the Router can give
// its pooled connection back before the delivery waits for the group commit's fsync: the check
// (parse, clientState against the stored subscriptions, read through `store`, or `cache` when
// it holds them: client_state_cache.h) and the write.
enum class GraphDeliveryRoute { kNotifications, kLifecycle };
struct CheckedGraphDelivery {
  std::optional<InboundResponse> answer;  // set: answer this now (400, 503), nothing to write
  // The accepted items as {"value":[...]}: the body as received when every item was accepted,
  // else those items re-serialised; empty when none was.
  std::string payload;
  std::vector<store::AuditRecord> audits;  // one per item, accepted or rejected
  size_t rejected = 0;
  const char* event = "";  // the audit event: "graph-notification" or kLifecycleAuditEvent
};
CheckedGraphDelivery checkGraphDelivery(const InboundRequest& request, store::Store& store,
                                        spdlog::logger& logger, GraphDeliveryRoute route,
                                        ClientStateCache* cache = nullptr);
// Persists through `writer` when set, else through `store` (one of them must be set); 202, or
// the check's answer, or 503 + Retry-After when the store cannot keep it.
InboundResponse persistGraphDelivery(const CheckedGraphDelivery& checked, store::Store* store,
                                     spdlog::logger& logger, InboundWriter* writer);

// `writer` (optional): the delivery is persisted through it (group commit, inbound_writer.h)
// rather than by `store`, which then only serves the subscription lookups. `cache` (optional):
// as for checkGraphDelivery.
InboundResponse handleGraphNotifications(const InboundRequest& request, store::Store& store,
                                         spdlog::logger& logger, InboundWriter* writer = nullptr,
                                         ClientStateCache* cache = nullptr);
InboundResponse handleGraphLifecycle(const InboundRequest& request, store::Store& store,
                                     spdlog::logger& logger, InboundWriter* writer = nullptr,
                                     ClientStateCache* cache = nullptr);

}  // namespace appkeeper::handlers
