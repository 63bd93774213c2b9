#include "emulator/emulator_core.h"

#include <spdlog/spdlog.h>

#include <exception>

#include "emulator/delegated_grants.h"
#include "emulator/graph_routes.h"
#include "emulator/ids.h"
#include "emulator/route_table.h"
#include "emulator/time_format.h"
#include "emulator/token_endpoint.h"
#include "emulator/url_codec.h"
#if defined(APPKEEPER_EMULATOR_HAS_SUBSCRIPTIONS)
#include "emulator/subscriptions.h"
#endif

namespace appkeeper::emulator {

EmulatorCore::EmulatorCore(EmulatorConfig config, std::unique_ptr<TenantModel> model,
                           const Clock& clock, Random& ids, std::shared_ptr<spdlog::logger> logger)
    : config_(std::move(config)),
      clock_(clock),
      ids_(ids),
      logger_(std::move(logger)),
      // Separate streams, so latency jitter never shifts which requests get faults.
      faultRandom_(config_.seed ^ 0x6661756c74735eedULL),
      latencyRandom_(config_.seed ^ 0x6c6174656e637921ULL),
      model_(std::move(model)),
      settings_(config_.settings),
      tokens_(clock, ids),
      deviceCodes_(clock, ids),
      refreshTokens_(ids),
      throttle_(clock, config_.limits),
      faults_(faultRandom_) {
  faults_.set(config_.faults);
#if defined(APPKEEPER_EMULATOR_HAS_SUBSCRIPTIONS)
  if (config_.subscriptions) {
    SubscriptionOptions options;
    options.clock = &clock_;
    options.random = &ids_;
    options.logger = logger_;
    options.startDeliveryThread = config_.subscriptionDeliveryThread;
    options.deliveryTls = config_.deliveryTls;
    subscriptions_ = std::make_unique<SubscriptionService>(std::move(options));
  }
#endif
  ControlDeps deps{*model_,
                   tokens_,
                   deviceCodes_,
                   refreshTokens_,
                   faults_,
                   throttle_,
                   stats_,
                   settings_,
                   clock_,
                   subscriptions_.get(),
                   [this](const InstallationChange& c) { notify(c); }};
  control_ = std::make_unique<ControlApi>(std::move(deps));
}

EmulatorCore::~EmulatorCore() {
  control_.reset();
  subscriptions_.reset();
}

RequestContext EmulatorCore::newContext(const Request& req) {
  RequestContext ctx;
  ctx.requestId = newGuid(ids_);
  // Echo only something header-safe (Graph echoes GUIDs; we accept any printable text).
  std::string cid = req.header("client-request-id");
  if (cid.size() <= 200 && cid.find_first_of("\r\n") == std::string::npos)
    ctx.clientRequestId = cid;
  ctx.date = graphErrorDate(clock_.now());
  return ctx;
}

void EmulatorCore::notify(const InstallationChange& change) {
#if defined(APPKEEPER_EMULATOR_HAS_SUBSCRIPTIONS)
  if (subscriptions_) {
    subscriptions_->onInstallationChanged(change.tenantId, change.teamsAppId, change.teamId,
                                          change.installationId, change.changeType);
  }
#else
  (void)change;
#endif
}

LatencySplit splitLatency(std::chrono::milliseconds total) {
  if (total.count() <= 0) return {};
  const std::chrono::milliseconds in = total / 4;
  return {in, total - in};
}

std::chrono::milliseconds EmulatorCore::latency(const Request& req) {
  if (req.path.rfind("/_emulator", 0) == 0) return std::chrono::milliseconds(0);
  const RuntimeSettings s = settings_.get();
  auto jitter = s.latencyJitter.count() > 0
                    ? static_cast<int64_t>(
                          latencyRandom_.below(static_cast<uint64_t>(s.latencyJitter.count()) + 1))
                    : 0;
  return s.latency + std::chrono::milliseconds(jitter);
}

Response EmulatorCore::handleGraph(const Request& req, const RouteInfo& route,
                                   const RequestContext& ctx, std::string& outcome) {
  if (!route.matched || !route.methodAllowed) return unmatchedRoute(req, route, ctx);
  if (!req.rawQuery.empty() && !parseQuery(req.rawQuery)) {
    return graphError(ctx, 400, "BadRequest", "The query string is malformed (a bad %-escape).");
  }
  const RuntimeSettings settings = settings_.get();
  if (auto fault = faults_.next(route.key)) {
    Response r =
        faultResponse(*fault, ctx, faults_.current(), route.area == Area::kToken, clock_.now());
    if (r.misbehave == Misbehave::kHang || r.misbehave == Misbehave::kDrop ||
        r.misbehave == Misbehave::kTruncate) {
      outcome = toString(*fault);
    }
    return r;
  }
  if (route.area == Area::kToken) {
    TokenEndpointSettings ts{model_->tenantId(),          config_.clientId,
                             config_.clientSecret,        settings.tokenLifetime,
                             settings.deviceCodeLifetime, settings.deviceCodeInterval};
    IdentityState state{tokens_, deviceCodes_, refreshTokens_, clock_};
    IdentityAnswer answer = route.key == "POST devicecode"
                                ? handleDeviceCodeRequest(req, ctx, route.tenantSegment, ts, state)
                                : handleTokenRequest(req, ctx, route.tenantSegment, ts, state);
    if (!answer.grant.empty()) stats_.countGrant(answer.grant, answer.outcome);
    return std::move(answer.response);
  }
  TokenValidation auth = tokens_.validate(req.header("authorization"));
  if (auth.check != TokenCheck::kOk) return authError(ctx, auth.check);
  const TokenRecord& token = *auth.record;

  ThrottleDecision decision = throttle_.admit(token.tenantId, route.budget, route.teamId);
  if (!decision.allowed) {
    stats_.countThrottled();
    Response r = graphError(ctx, 429, "TooManyRequests",
                            "Too many requests from Identifier:" + token.tenantId + "+" +
                                token.clientId + " under category:throttle.teams." +
                                decision.scope + ". Please try again later.");
    r.headers.emplace_back("Retry-After", std::to_string(decision.retryAfter.count()));
    return r;
  }

  if (!route.subPath.empty()) {
    // The only subscribable resource here, /appCatalogs/teamsApps/{id}/installations, takes
    // application permissions only (shared/graph-api.md §3.2).
    if (token.kind == TokenKind::kDelegated && route.key == "POST subscriptions") {
      return graphError(ctx, 403, "Forbidden",
                        "Operation: Create; Exception: [Status Code: Forbidden; Reason: Change "
                        "notifications on app installations support application permissions "
                        "only; subscribe with an app-only token.]",
                        "AccessDenied");
    }
#if defined(APPKEEPER_EMULATOR_HAS_SUBSCRIPTIONS)
    if (subscriptions_) {
      return subscriptions_->handle(req, route.subPath, ctx, token.tenantId, token.clientId);
    }
#endif
    return graphError(ctx, 501, "NotImplemented",
                      "Subscriptions are switched off in this emulator.");
  }

  GraphSettings gs{settings.pageSize, settings.allowAppOnlyRsc};
  GraphResult result = handleGraphRoute(req, route, ctx, token, *model_, gs);
  if (result.upgradeChanged) stats_.countUpgrade(*result.upgradeChanged);
  if (result.change) notify(*result.change);
  return std::move(result.response);
}

Response EmulatorCore::handle(const Request& req) {
  RequestContext ctx = newContext(req);
  Response response;
  try {
    RouteInfo route = classify(req);
    if (route.area == Area::kControl) {
      response = control_->handle(req, route.segments, ctx);
    } else {
      std::string outcome;
      response = handleGraph(req, route, ctx, outcome);
      stats_.record(route.statsKey, outcome.empty() ? std::to_string(response.status) : outcome);
    }
  } catch (const std::exception& e) {
    // A bug, not the client's fault: say so in Graph's shape rather than dropping the connection.
    if (logger_) logger_->error("{} {} failed: {}", req.method, req.path, e.what());
    response = graphError(ctx, 500, "InternalServerError",
                          "The emulator failed while handling the request; see its log.");
  }
  bool hasRequestId = false;
  for (const auto& [name, value] : response.headers) {
    if (name == "request-id") hasRequestId = true;
  }
  if (!hasRequestId) response.headers.emplace_back("request-id", ctx.requestId);
  if (!ctx.clientRequestId.empty())
    response.headers.emplace_back("client-request-id", ctx.clientRequestId);
  return response;
}

}  // namespace appkeeper::emulator
