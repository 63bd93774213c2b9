// EmulatorCore: the whole emulator behind one function, Request -> Response, with no sockets.
// It classifies the request (route_table.h), then for Graph and token requests: injects a fault
// if a rule fires, checks the access token (401), applies the throttle (429 + Retry-After),
// and runs the route (graph_routes.h, token_endpoint.h, delegated_grants.h, or
// SubscriptionService, which takes application tokens only); /_emulator/
// requests go to the ControlApi. Every answer carries a request-id header (and the client's
// client-request-id when it sent one); Graph and token answers are counted in Stats.
// Installation changes are passed to the SubscriptionService after the model's lock is
// released. emulator_server.cpp adapts it to Poco and applies latency() around handle()
// (splitLatency).
//
// Owns the model, token store, device codes, refresh tokens, throttle, faults, stats and the one
// SubscriptionService, which it destroys first. Borrows the Clock and the Random for ids (both must
// outlive it). Thread-safety: handle() and latency() may be called from any number of threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/random.h"
#include "emulator/control_api.h"
#include "emulator/device_codes.h"
#include "emulator/faults.h"
#include "emulator/http_types.h"
#include "emulator/prng.h"
#include "emulator/refresh_tokens.h"
#include "emulator/runtime_settings.h"
#include "emulator/stats.h"
#include "emulator/tenant_model.h"
#include "emulator/throttle.h"
#include "emulator/token_store.h"

namespace spdlog {
class logger;
}

namespace appkeeper::emulator {

class SubscriptionService;
struct DeliveryTls;

struct EmulatorConfig {
  std::string clientId = "22222222-2222-2222-2222-222222222222";
  std::string clientSecret = "emulator-secret";
  RuntimeSettings settings;
  ThrottleLimits limits;
  uint64_t seed = 1;     // the fault and latency-jitter PRNGs
  FaultSettings faults;  // initial rules and timings (usually no rules)
  bool subscriptions = true;
  bool subscriptionDeliveryThread = true;  // false: tests drive deliveries themselves
  // Trust for https notification URLs (notifier.h makeDeliveryTls); null: http ones only.
  std::shared_ptr<const DeliveryTls> deliveryTls;
};

// Where a request's latency falls: `beforeHandling` is its way to Graph (applied before
// handle(), where the throttle counts it and the route changes state), `beforeAnswer` the
// service's work and the way back. Graph counts a request against its limits when its front
// door admits it, not when it answers, so the jitter of the processing must not move the
// arrival: a quarter of the latency is the way in. (An assumption: Graph does not document
// where in a request's life its throttle counts, nor how its latency divides.)
struct LatencySplit {
  std::chrono::milliseconds beforeHandling{0};
  std::chrono::milliseconds beforeAnswer{0};
};
LatencySplit splitLatency(std::chrono::milliseconds total);

class EmulatorCore {
 public:
  EmulatorCore(EmulatorConfig config, std::unique_ptr<TenantModel> model, const Clock& clock,
               Random& ids, std::shared_ptr<spdlog::logger> logger);
  ~EmulatorCore();
  EmulatorCore(const EmulatorCore&) = delete;
  EmulatorCore& operator=(const EmulatorCore&) = delete;

  Response handle(const Request& req);
  // The simulated latency of `req` (zero for the control API), as a client measures it.
  std::chrono::milliseconds latency(const Request& req);

  TenantModel& model() { return *model_; }
  SubscriptionService* subscriptions() { return subscriptions_.get(); }

 private:
  RequestContext newContext(const Request& req);
  Response handleGraph(const Request& req, const struct RouteInfo& route, const RequestContext& ctx,
                       std::string& outcome);
  void notify(const InstallationChange& change);

  const EmulatorConfig config_;
  const Clock& clock_;
  Random& ids_;
  std::shared_ptr<spdlog::logger> logger_;
  SplitMix64 faultRandom_;
  SplitMix64 latencyRandom_;
  std::unique_ptr<TenantModel> model_;
  SettingsBox settings_;
  TokenStore tokens_;
  DeviceCodeStore deviceCodes_;
  RefreshTokenRegistry refreshTokens_;
  Throttle throttle_;
  FaultInjector faults_;
  Stats stats_;
  // Declared after the state so they are destroyed before it (members go in reverse order):
  // the subscription service's delivery thread is joined before the model it reports on goes.
  std::unique_ptr<SubscriptionService> subscriptions_;
  std::unique_ptr<ControlApi> control_;  // borrows subscriptions_
};

}  // namespace appkeeper::emulator
