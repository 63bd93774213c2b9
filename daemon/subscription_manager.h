// SubscriptionManager: keeps exactly one Graph change-notification subscription per watched app
// on /appCatalogs/teamsApps/{id}/installations (changeTypes created,updated,deleted), with the
// notification and lifecycle URLs under [listen] public_url and a random clientState per
// subscription kept (only) in the store.
//
// ensure(): lists Graph's subscriptions; "ours" are those whose notificationUrl is ours. Per
// watched app it adopts one whose id and clientState the store holds, and deletes ours that the
// store does not know (their clientState cannot be verified), duplicates, and those of apps no
// longer watched; then creates the missing ones. That makes a restart (or a crash between
// create and store) end with one subscription per app, never a duplicate.
// A create stores a pending record (id "pending:<nonce>", handlers/graph_notifications.h) BEFORE
// POST /subscriptions: Graph may deliver a notification before its 201 reaches us. The pending
// record is replaced by the real one after the 201, or deleted when the create fails.
// renewDue(): PATCHes expirationDateTime (renewing also reauthorizes, graph-api 3.8) of those
// with less than renewBefore left; a 404 means Graph dropped it: it is recreated and a
// reconciliation requested (changes while it was gone were not delivered).
// Every create/renew/delete is audited (event "subscription": subscribed, renewed, removed) and
// logged; the clientState never is.
//
// Thread contract: one per maintenance thread (the only thread that talks to Graph about
// subscriptions); the borrowed Store is that thread's connection. Borrowed references must
// outlive it.
// Errors: a Graph or store error of one app is logged and the others go on; the returned Status
// is the first transient error (the caller tries again on its next pass).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "graph/graph_client.h"
#include "store/store.h"

namespace spdlog {
class logger;
}

namespace appkeeper::daemon {

struct SubscriptionOptions {
  std::string publicUrl;  // [listen] public_url, no trailing slash
  std::string tenantId;
  std::chrono::seconds lifetime{71 * 3600};
  std::chrono::seconds renewBefore{24 * 3600};
};

// 32 bytes from OpenSSL's CSPRNG, base64url without padding (43 characters).
Result<std::string> newClientState();

// "/appCatalogs/teamsApps/{id}/installations" (team scope: the emulator and Graph deliver team
// installations for it).
std::string installationsResource(const std::string& teamsAppId);

class SubscriptionManager {
 public:
  SubscriptionManager(SubscriptionOptions options, store::Store& store, graph::GraphClient& graph,
                      const Clock& clock, std::shared_ptr<spdlog::logger> logger);

  std::string notificationUrl() const { return options_.publicUrl + "/graph/notifications"; }
  std::string lifecycleUrl() const { return options_.publicUrl + "/graph/lifecycle"; }

  Status ensure(const std::vector<std::string>& watchedAppIds);
  Status renewDue();
  // Whether the store holds a (non-pending) subscription for every app.
  Result<bool> covers(const std::vector<std::string>& watchedAppIds);
  // When the next renewal falls due (nullopt: no subscription stored).
  Result<std::optional<WallTime>> nextRenewal();

 private:
  Status create(const std::string& teamsAppId);
  Status remove(const std::string& id, const std::string& teamsAppId, const std::string& why);
  void audit(const char* outcome, const std::string& teamsAppId, const std::string& detail);

  SubscriptionOptions options_;
  store::Store& store_;
  graph::GraphClient& graph_;
  const Clock& clock_;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace appkeeper::daemon
