// The control API under /_emulator/ (no auth; never under a Graph prefix): lets tests, the demo
// and benchmarks publish versions, install/remove apps, inject faults, change limits, latency
// and settings, expire tokens, approve or decline device codes (the stand-in for a person
// signing in), revoke refresh tokens, trigger subscription lifecycle events and read stats.
// Every answer is JSON; errors use Graph's error shape. Reference: docs/emulator.md.
//
// Borrows everything in ControlDeps for its lifetime. Thread-safe (each dependency is).
// Installation changes are reported through ControlDeps::notify after the model's lock is
// released.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "emulator/device_codes.h"
#include "emulator/faults.h"
#include "emulator/graph_routes.h"
#include "emulator/http_types.h"
#include "emulator/refresh_tokens.h"
#include "emulator/runtime_settings.h"
#include "emulator/stats.h"
#include "emulator/tenant_model.h"
#include "emulator/throttle.h"
#include "emulator/token_store.h"
#include "nlohmann/json.hpp"

namespace appkeeper::emulator {

class SubscriptionService;

struct ControlDeps {
  TenantModel& model;
  TokenStore& tokens;
  DeviceCodeStore& deviceCodes;
  RefreshTokenRegistry& refreshTokens;
  FaultInjector& faults;
  Throttle& throttle;
  Stats& stats;
  SettingsBox& settings;
  const Clock& clock;
  SubscriptionService* subscriptions = nullptr;  // null: subscription endpoints answer 501
  std::function<void(const InstallationChange&)> notify;
};

class ControlApi {
 public:
  explicit ControlApi(ControlDeps deps) : d_(std::move(deps)) {}
  // `segments` are the decoded path segments after "_emulator".
  Response handle(const Request& req, const std::vector<std::string>& segments,
                  const RequestContext& ctx);

 private:
  Response apps(const Request& req, const std::vector<std::string>& s, const RequestContext& ctx);
  Response installations(const Request& req, const std::vector<std::string>& s,
                         const RequestContext& ctx);
  Response faults(const Request& req, const RequestContext& ctx);
  Response limits(const Request& req, const RequestContext& ctx);
  Response settings(const Request& req, const RequestContext& ctx, bool latencyOnly);
  Response subscriptions(const Request& req, const std::vector<std::string>& s,
                         const RequestContext& ctx);
  Response stats(const Request& req, const RequestContext& ctx);
  Response deviceCodes(const Request& req, const std::vector<std::string>& s,
                       const RequestContext& ctx);

  ControlDeps d_;
};

}  // namespace appkeeper::emulator
