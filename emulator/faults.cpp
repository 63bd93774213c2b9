#include "emulator/faults.h"

#include <set>

#include "emulator/token_endpoint.h"

namespace appkeeper::emulator {
namespace {

struct KindName {
  FaultKind kind;
  const char* name;
};
constexpr KindName kKinds[] = {
    {FaultKind::k500, "500"},          {FaultKind::k502, "502"},
    {FaultKind::k503, "503"},          {FaultKind::k504, "504"},
    {FaultKind::kTransient400, "400"}, {FaultKind::kHang, "hang"},
    {FaultKind::kDrop, "drop"},        {FaultKind::kTruncate, "truncate"},
    {FaultKind::kNonJson, "nonjson"},  {FaultKind::k429, "429"},
    {FaultKind::k429NoRetryAfter, "429-no-retry-after"},
};

}  // namespace

const char* toString(FaultKind kind) {
  for (const auto& k : kKinds) {
    if (k.kind == kind) return k.name;
  }
  return "unknown";
}

std::optional<FaultKind> faultKindFromString(const std::string& text) {
  for (const auto& k : kKinds) {
    if (text == k.name) return k.kind;
  }
  return std::nullopt;
}

Result<FaultSettings> faultSettingsFromJson(const nlohmann::json& body, const FaultSettings& base) {
  FaultSettings out = base;
  out.rules.clear();
  const nlohmann::json* rules = &body;
  if (body.is_object()) {
    for (const auto& [key, v] : body.items()) {
      if (key != "rules" && key != "retryAfterSeconds" && key != "hangMs") {
        return Error::invalidInput("unknown member '" + key +
                                   "' (expected rules, retryAfterSeconds, hangMs)");
      }
    }
    if (auto it = body.find("retryAfterSeconds"); it != body.end()) {
      if (!it->is_number_integer() || *it < 0 || *it > 3600) {
        return Error::invalidInput("retryAfterSeconds must be an integer from 0 to 3600");
      }
      out.retryAfterSeconds = it->get<int>();
    }
    if (auto it = body.find("hangMs"); it != body.end()) {
      if (!it->is_number_integer() || *it < 0 || *it > 3'600'000) {
        return Error::invalidInput("hangMs must be an integer from 0 to 3600000");
      }
      out.hang = std::chrono::milliseconds(it->get<int64_t>());
    }
    auto r = body.find("rules");
    if (r == body.end()) return out;
    rules = &*r;
  }
  if (!rules->is_array()) return Error::invalidInput("rules must be an array");
  const std::set<std::string> allowed = {"route", "kind", "probability", "count"};
  for (size_t i = 0; i < rules->size(); ++i) {
    const auto& rj = (*rules)[i];
    const std::string where = "rules[" + std::to_string(i) + "]";
    if (!rj.is_object()) return Error::invalidInput(where + " must be an object");
    for (const auto& [key, v] : rj.items()) {
      if (allowed.count(key) == 0)
        return Error::invalidInput(where + ": unknown member '" + key + "'");
    }
    FaultRule rule;
    auto route = rj.find("route");
    if (route == rj.end() || !route->is_string() || route->get_ref<const std::string&>().empty()) {
      return Error::invalidInput(where + " needs a route such as \"POST upgrade\" or \"*\"");
    }
    rule.route = route->get<std::string>();
    auto kind = rj.find("kind");
    auto parsed = kind != rj.end() && kind->is_string()
                      ? faultKindFromString(kind->get<std::string>())
                      : std::nullopt;
    if (!parsed) {
      return Error::invalidInput(where +
                                 " needs a kind: 500, 502, 503, 504, 400, hang, drop, truncate, "
                                 "nonjson, 429 or 429-no-retry-after");
    }
    rule.kind = *parsed;
    auto p = rj.find("probability");
    auto c = rj.find("count");
    if ((p == rj.end()) == (c == rj.end())) {
      return Error::invalidInput(where + " needs exactly one of probability and count");
    }
    if (p != rj.end()) {
      if (!p->is_number() || *p < 0.0 || *p > 1.0) {
        return Error::invalidInput(where + ": probability must be a number from 0 to 1");
      }
      rule.probability = p->get<double>();
    } else {
      if (!c->is_number_integer() || *c < 0) {
        return Error::invalidInput(where + ": count must be a non-negative integer");
      }
      rule.count = c->get<int64_t>();
    }
    out.rules.push_back(std::move(rule));
  }
  return out;
}

nlohmann::json toJson(const FaultSettings& settings) {
  auto rules = nlohmann::json::array();
  for (const auto& r : settings.rules) {
    nlohmann::json j = {{"route", r.route}, {"kind", toString(r.kind)}, {"fired", r.fired}};
    if (r.probability) j["probability"] = *r.probability;
    if (r.count) j["count"] = *r.count;
    rules.push_back(std::move(j));
  }
  return {{"rules", rules},
          {"retryAfterSeconds", settings.retryAfterSeconds},
          {"hangMs", settings.hang.count()}};
}

FaultInjector::FaultInjector(Random& random) : random_(random) {}

void FaultInjector::set(FaultSettings settings) {
  std::lock_guard lock(mu_);
  settings_ = std::move(settings);
}

void FaultInjector::clear() {
  std::lock_guard lock(mu_);
  settings_.rules.clear();
}

FaultSettings FaultInjector::current() const {
  std::lock_guard lock(mu_);
  return settings_;
}

std::optional<FaultKind> FaultInjector::next(const std::string& routeKey) {
  std::lock_guard lock(mu_);
  for (auto& rule : settings_.rules) {
    if (rule.route != "*" && rule.route != routeKey) continue;
    bool fire = false;
    if (rule.count) {
      fire = *rule.count > 0;
      if (fire) --*rule.count;
    } else if (rule.probability) {
      // 2^53 steps: the draw is exact for probabilities 0 and 1.
      constexpr uint64_t kSteps = 1ULL << 53;
      fire = static_cast<double>(random_.below(kSteps)) <
             *rule.probability * static_cast<double>(kSteps);
    }
    if (fire) {
      ++rule.fired;
      return rule.kind;
    }
  }
  return std::nullopt;
}

Response faultResponse(FaultKind kind, const RequestContext& ctx, const FaultSettings& settings,
                       bool identityShape, WallTime now) {
  const std::string retryAfter = std::to_string(settings.retryAfterSeconds);
  auto graph = [&](int status, const char* code, const std::string& message) {
    if (identityShape) {
      // The identity platform's answer to a server-side failure.
      return identityError(ctx, status, "temporarily_unavailable", 90033,
                           "A transient error has occurred. Please try again. (" + message + ")",
                           now);
    }
    return graphError(ctx, status, code, message);
  };
  Response r;
  switch (kind) {
    case FaultKind::k500:
      r = graph(500, "InternalServerError",
                "An internal server error occurred (injected by the emulator).");
      break;
    case FaultKind::k502:
      r = graph(502, "BadGateway",
                "The backend service failed to respond (injected by the emulator).");
      break;
    case FaultKind::k503:
      r = graph(503, "ServiceNotAvailable",
                "The service is temporarily unavailable (injected by the emulator).");
      if (settings.retryAfterSeconds > 0) r.headers.emplace_back("Retry-After", retryAfter);
      break;
    case FaultKind::k429:
    case FaultKind::k429NoRetryAfter:
      // The shape of the throttle's own 429 (emulator_core.cpp), so clients cannot tell them
      // apart; on the token route, the identity platform's throttling answer.
      r = identityShape ? identityError(ctx, 429, "temporarily_unavailable", 50196,
                                        "The server is throttling requests (injected by the "
                                        "emulator).",
                                        now)
                        : graphError(ctx, 429, "TooManyRequests",
                                     "Too many requests (injected by the emulator). Please try "
                                     "again later.");
      if (kind == FaultKind::k429 && settings.retryAfterSeconds > 0) {
        r.headers.emplace_back("Retry-After", retryAfter);
      }
      break;
    case FaultKind::k504:
      r = graph(504, "GatewayTimeout", "The backend timed out (injected by the emulator).");
      break;
    case FaultKind::kTransient400:
      // Teams' transient bulk-load 400: BadRequest with an innerError that has no code.
      r = identityShape ? graph(400, "", "transient")
                        : graphError(ctx, 400, "BadRequest",
                                     "Exception in CreateOrUpdateAppEntitlementForTeamsAsync "
                                     "(transient, injected by the emulator); the same call may "
                                     "succeed on retry.");
      break;
    case FaultKind::kHang:
      r = Response::empty(0);
      r.misbehave = Misbehave::kHang;
      r.hangFor = settings.hang;
      break;
    case FaultKind::kDrop:
      r = Response::empty(0);
      r.misbehave = Misbehave::kDrop;
      break;
    case FaultKind::kTruncate:
      r = Response::json(200, {{"value", nlohmann::json::array({{{"id", "truncated"}}})},
                               {"@odata.context", "truncated by the emulator"}});
      r.misbehave = Misbehave::kTruncate;
      break;
    case FaultKind::kNonJson:
      r.status = 200;
      r.contentType = "text/html; charset=utf-8";
      r.body =
          "<!DOCTYPE html><html><head><title>Service unavailable</title></head><body><h1>"
          "The service is unavailable</h1><p>Injected by the Graph emulator.</p></body></html>";
      r.misbehave = Misbehave::kNonJson;
      break;
  }
  return r;
}

}  // namespace appkeeper::emulator
