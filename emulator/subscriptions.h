// SubscriptionService: the emulator's Graph change-notification subscriptions
// (shared/graph-api.md §3): the /subscriptions routes with Graph's validation rules and
// validation handshake, change notifications for teamsAppInstallation changes, lifecycle
// events, and counters for the control API.
//
// Supported resource: /appCatalogs/teamsApps/{teams-app-id}/installations, optionally with
// ?$filter=(scopeInfo/scope eq 'team') (the emulator only has team installations).
// Notifications are basic ones (no encryptedContent, no validationTokens) even when the
// subscription asks for includeResourceData: real Graph sends rich notifications for this
// resource. The payload stays Graph-shaped, so a notification does not say which team changed
// (the installation id is opaque; receivers read the installation back, as with real Graph).
//
// Borrows: the Clock and Random in SubscriptionOptions (null: a SystemClock/SystemRandom of its
// own) must outlive the service. Thread-safety: every public member is thread-safe; the state is
// guarded by one mutex that is never held during HTTP (the validation handshake runs on the
// calling thread, deliveries on the service's one delivery thread). The destructor stops and
// joins that thread.
// Errors: handle()/triggerLifecycle() answer Graph-shaped errors (http_types.h graphError);
// nothing throws.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "emulator/http_types.h"
#include "emulator/notifier.h"
#include "nlohmann/json.hpp"

namespace spdlog {
class logger;
}

namespace appkeeper::emulator {

struct SubscriptionOptions {
  const Clock* clock = nullptr;            // wall time: expirations; steady time: delivery retries
  Random* random = nullptr;                // ids, injected drops (tokens: own random_device)
  std::shared_ptr<spdlog::logger> logger;  // null: no logging

  std::chrono::minutes maxLifetime{4320};          // Graph: 4,320 min for Teams resources
  std::chrono::minutes lifecycleUrlThreshold{60};  // longer needs lifecycleNotificationUrl
  size_t maxClientStateLength = 128;  // subscription page says 128 (changeNotification: 255)
  size_t maxSubscriptions = 1000;     // per tenant; beyond it 403 like a Graph quota

  // Real Graph demands https notification URLs. The emulator delivers to https URLs when it has
  // deliveryTls (main always gives it one: the system store plus --notify-ca-file), and still
  // to plain http ones, so a receiver without TLS can be tested. So it cannot be turned into a
  // request cannon, both go to loopback hosts only unless allowHttpToAnyHost. A non-empty
  // allowedHosts further restricts the hosts.
  bool allowHttpToAnyHost = false;
  std::vector<std::string> allowedHosts;
  std::shared_ptr<const DeliveryTls> deliveryTls;  // null: https notification URLs are refused

  std::chrono::milliseconds validationTimeout{10000};  // Graph: answer within 10 s
  std::chrono::milliseconds deliveryTimeout{3000};     // Graph: 2xx within 3 s
  std::chrono::milliseconds retryInitial{1000};        // doubling, capped at retryMax
  std::chrono::milliseconds retryMax{60000};
  std::chrono::milliseconds retryWindow{std::chrono::hours(4)};  // Graph retries up to 4 h
  size_t maxQueue = 10000;  // pending change notifications; beyond: dropped + "missed"
  size_t maxBatch = 100;    // items per POST
  std::chrono::milliseconds housekeepingInterval{1000};  // expiry sweep, at least this often

  // Graph sends reauthorizationRequired when the app's token or the subscription nears expiry,
  // at an undocumented rate (the doc's illustration: every 15 minutes in the last hour). A
  // non-zero window makes the emulator send one every reauthorizationInterval while a
  // subscription with a lifecycle URL has less than the window left. Off by default so tests
  // see only the events they trigger.
  std::chrono::minutes reauthorizationWindow{0};
  std::chrono::minutes reauthorizationInterval{15};

  double deliveryDropRate = 0.0;    // fraction of change notifications lost (fault injection)
  bool startDeliveryThread = true;  // false: deliveries only through runDeliveryOnce()
};

// Graph's DateTimeOffset text for subscriptions: "2024-04-18T21:08:55.1230000Z".
std::string formatGraphDateTime(WallTime t);
// Accepts RFC 3339 / ISO 8601 with 'T', optional fraction (any digits) and Z or +hh:mm.
std::optional<WallTime> parseGraphDateTime(const std::string& text);

class SubscriptionService {
 public:
  explicit SubscriptionService(SubscriptionOptions options);
  ~SubscriptionService();  // stops and joins the delivery thread
  SubscriptionService(const SubscriptionService&) = delete;
  SubscriptionService& operator=(const SubscriptionService&) = delete;

  // Graph routes POST/GET /subscriptions, GET/PATCH/DELETE /subscriptions/{id},
  // POST /subscriptions/{id}/reauthorize. subPath = path after the version prefix.
  // Create and a PATCH of notificationUrl block for the validation handshake (<= 2 x 10 s).
  Response handle(const Request& req, const std::string& subPath, const RequestContext& ctx,
                  const std::string& tenantId, const std::string& appId);

  // Called (outside the model's lock) when an installation is created/upgraded/removed.
  void onInstallationChanged(const std::string& tenantId, const std::string& teamsAppId,
                             const std::string& teamId, const std::string& installationId,
                             const std::string& changeType);  // "created"|"updated"|"deleted"

  // Control API: POST /_emulator/subscriptions/{id}/lifecycle {"event":"missed"|...}.
  // 202 when queued; subscriptionRemoved also deletes the subscription. 400 for an unknown
  // event or a subscription without lifecycleNotificationUrl, 404 for an unknown id.
  Response triggerLifecycle(const std::string& subscriptionId, const std::string& event,
                            const RequestContext& ctx);

  // {"validations":{...},"notifications":{...},"lifecycle":{...},"queueDepth",
  //  "subscriptions","perSubscription":{id:{...}}}; see subscriptions.cpp for the fields.
  nlohmann::json stats() const;

  // Control API extras.
  // Every live subscription of every tenant/app (clientState redacted to hasClientState).
  nlohmann::json list() const;
  // Fraction [0,1] of change notifications dropped before delivery (each drop counts and makes
  // the subscription get a "missed" lifecycle event).
  void setDeliveryDropRate(double rate);
  // Makes a subscription expire now (Graph deletes expired subscriptions; so do we, at once).
  // false when it does not exist.
  bool expireNow(const std::string& subscriptionId);
  // Removes subscriptions whose expirationDateTime has passed; the delivery thread calls this
  // every housekeepingInterval, handle() before every request. Returns how many went.
  size_t removeExpired();
  // Makes the delivery thread look now (tests that advance a fake clock call this).
  void wakeDelivery();
  // One delivery pass on the caller's thread (for startDeliveryThread = false). Returns POSTs.
  size_t runDeliveryOnce();
  size_t pendingDeliveries() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace appkeeper::emulator
