#include "emulator/control_api.h"

#include <set>

#include "emulator/graph_json.h"
#include "emulator/ids.h"
#include "emulator/scenario.h"
#include "emulator/time_format.h"
#if defined(APPKEEPER_EMULATOR_HAS_SUBSCRIPTIONS)
#include "emulator/subscriptions.h"
#endif

namespace appkeeper::emulator {
namespace {

using nlohmann::json;

Response bad(const RequestContext& ctx, const std::string& message, int status = 400,
             const char* code = "BadRequest") {
  return graphError(ctx, status, code, message);
}

Response fromError(const RequestContext& ctx, const Error& e) { return errorResponse(ctx, e); }

Response notAllowed(const Request& req, const RequestContext& ctx, const char* allow) {
  Response r =
      graphError(ctx, 405, "MethodNotAllowed",
                 req.method + " is not allowed on " + req.path + " (allowed: " + allow + ")");
  r.headers.emplace_back("Allow", allow);
  return r;
}

// The body as a JSON object with only `allowed` members; an empty body is {}.
Result<json> objectBody(const Request& req, const std::set<std::string>& allowed) {
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
  json j = json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return graphModelError(400, "BadRequest", "the body must be a JSON object");
  }
  for (const auto& [key, v] : j.items()) {
    if (allowed.count(key) == 0) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return graphModelError(400, "BadRequest",
                             "unknown member '" + key + "' (expected " + list + ")");
    }
  }
  return j;
}

std::string queryValue(const Request& req, const char* name) {
  auto it = req.query.find(name);
  return it == req.query.end() ? std::string() : it->second;
}

json installationRecord(const Installation& i) {
  return {{"teamId", i.teamId},   {"installationId", i.id}, {"teamsAppId", i.teamsAppId},
          {"version", i.version}, {"upgrades", i.upgrades}, {"noopUpgrades", i.noopUpgrades}};
}

Result<int> nonNegativeInt(const json& j, const char* name, int max) {
  auto it = j.find(name);
  if (!it->is_number_integer() || *it < 0 || *it > max) {
    return graphModelError(
        400, "BadRequest",
        std::string(name) + " must be an integer from 0 to " + std::to_string(max));
  }
  return it->get<int>();
}

Result<bool> boolean(const json& j, const char* name) {
  auto it = j.find(name);
  if (!it->is_boolean())
    return graphModelError(400, "BadRequest", std::string(name) + " must be true or false");
  return it->get<bool>();
}

}  // namespace

Response ControlApi::handle(const Request& req, const std::vector<std::string>& s,
                            const RequestContext& ctx) {
  const std::string first = s.empty() ? std::string() : s[0];
  if (first.empty()) {
    if (req.method != "GET") return notAllowed(req, ctx, "GET");
    return Response::json(
        200,
        {{"endpoints",
          {"GET /_emulator/apps", "POST /_emulator/apps/{id}/versions",
           "POST /_emulator/apps/{id}/versions/{version}/approve|reject",
           "GET|POST /_emulator/installations", "DELETE /_emulator/installations/{installationId}",
           "GET|PUT|DELETE /_emulator/faults", "GET|PUT /_emulator/limits",
           "GET|PUT /_emulator/latency", "GET|PUT /_emulator/config",
           "POST /_emulator/tokens/expire", "GET /_emulator/devicecodes",
           "POST /_emulator/devicecodes/{userCode}/approve|decline",
           "POST /_emulator/refresh-tokens/revoke", "GET /_emulator/subscriptions",
           "POST /_emulator/subscriptions/{id}/lifecycle",
           "POST /_emulator/subscriptions/{id}/expire", "PUT /_emulator/subscriptions/delivery",
           "GET|DELETE /_emulator/stats", "GET /_emulator/state"}}});
  }
  if (first == "apps") return apps(req, s, ctx);
  if (first == "installations") return installations(req, s, ctx);
  if (first == "faults" && s.size() == 1) return faults(req, ctx);
  if (first == "limits" && s.size() == 1) return limits(req, ctx);
  if (first == "latency" && s.size() == 1) return settings(req, ctx, true);
  if (first == "config" && s.size() == 1) return settings(req, ctx, false);
  if (first == "tokens" && s.size() == 2 && s[1] == "expire") {
    if (req.method != "POST") return notAllowed(req, ctx, "POST");
    return Response::json(200, {{"expired", d_.tokens.expireAll()}});
  }
  if (first == "devicecodes") return deviceCodes(req, s, ctx);
  if (first == "refresh-tokens" && s.size() == 2 && s[1] == "revoke") {
    if (req.method != "POST") return notAllowed(req, ctx, "POST");
    return Response::json(200, {{"revoked", d_.refreshTokens.revokeAll()}});
  }
  if (first == "subscriptions") return subscriptions(req, s, ctx);
  if (first == "stats" && s.size() == 1) return stats(req, ctx);
  if (first == "state" && s.size() == 1) {
    if (req.method != "GET") return notAllowed(req, ctx, "GET");
    return Response::json(200, dumpState(d_.model));
  }
  return graphError(ctx, 404, "NotFound",
                    "No control endpoint at " + req.path + "; GET /_emulator/ lists them.");
}

Response ControlApi::apps(const Request& req, const std::vector<std::string>& s,
                          const RequestContext& ctx) {
  if (s.size() == 1) {
    if (req.method != "GET") return notAllowed(req, ctx, "GET");
    const auto counts = d_.model.installCounts();
    json value = json::array();
    for (const auto& app : d_.model.catalog()) {
      json versions = json::array();
      int64_t total = 0;
      for (const auto& d : app.definitions) {
        auto it = counts.find({app.id, d.version});
        int64_t n = it == counts.end() ? 0 : it->second;
        total += n;
        versions.push_back({{"id", d.id},
                            {"version", d.version},
                            {"publishingState", d.publishingState},
                            {"resourceSpecificPermissions", rscToJson(d.rsc)},
                            {"installCount", n}});
      }
      const Definition* latest = app.latestPublished();
      json a = appJson(app);
      a["latestVersion"] = latest ? json(latest->version) : json(nullptr);
      a["installCount"] = total;
      a["versions"] = std::move(versions);
      value.push_back(std::move(a));
    }
    return Response::json(200, {{"value", value}});
  }
  if (s.size() < 3 || s[2] != "versions") {
    return graphError(ctx, 404, "NotFound", "No control endpoint at " + req.path);
  }
  const std::string& appRef = s[1];
  if (s.size() == 3) {
    if (req.method != "POST") return notAllowed(req, ctx, "POST");
    auto body = objectBody(req, {"version", "resourceSpecificPermissions", "requiresReview"});
    if (!body) return fromError(ctx, body.error());
    NewVersion v;
    auto version = body->find("version");
    if (version == body->end() || !version->is_string()) {
      return bad(ctx, "version is required, e.g. {\"version\":\"1.1.0\"}");
    }
    v.version = version->get<std::string>();
    if (auto rsc = body->find("resourceSpecificPermissions"); rsc != body->end()) {
      auto perms = rscFromJson(*rsc);
      if (!perms) return bad(ctx, perms.error().message);
      v.rsc = std::move(*perms);
    }
    if (body->contains("requiresReview")) {
      auto review = boolean(*body, "requiresReview");
      if (!review) return fromError(ctx, review.error());
      v.requiresReview = *review;
    }
    v.now = d_.clock.now();
    auto added = d_.model.addVersion(appRef, v);
    if (!added) return fromError(ctx, added.error());
    auto app = d_.model.app(added->first);
    return Response::json(201, definitionJson(*app, added->second));
  }
  if (s.size() == 5 && (s[4] == "approve" || s[4] == "reject")) {
    if (req.method != "POST") return notAllowed(req, ctx, "POST");
    auto reviewed =
        d_.model.review(appRef, s[3], s[4] == "approve" ? kPublished : kRejected, d_.clock.now());
    if (!reviewed) return fromError(ctx, reviewed.error());
    auto app = d_.model.app(reviewed->first);
    return Response::json(200, definitionJson(*app, reviewed->second));
  }
  return graphError(ctx, 404, "NotFound", "No control endpoint at " + req.path);
}

Response ControlApi::installations(const Request& req, const std::vector<std::string>& s,
                                   const RequestContext& ctx) {
  if (s.size() > 2) return graphError(ctx, 404, "NotFound", "No control endpoint at " + req.path);
  if (req.method == "GET" && s.size() == 1) {
    auto list = d_.model.installations(queryValue(req, "teamsAppId"), queryValue(req, "teamId"));
    if (!list) return fromError(ctx, list.error());
    json out = json::array();
    for (const auto& i : *list) out.push_back(installationRecord(i));
    return Response::json(200, out);
  }
  if (req.method == "POST" && s.size() == 1) {
    auto body = objectBody(req, {"teamId", "teamsAppId", "version"});
    if (!body) return fromError(ctx, body.error());
    auto team = body->find("teamId");
    auto app = body->find("teamsAppId");
    if (team == body->end() || !team->is_string() || app == body->end() || !app->is_string()) {
      return bad(ctx, "teamId and teamsAppId are required strings");
    }
    std::optional<std::string> version;
    if (auto v = body->find("version"); v != body->end()) {
      if (!v->is_string()) return bad(ctx, "version must be a string");
      version = v->get<std::string>();
    }
    auto inst = d_.model.install(team->get<std::string>(), app->get<std::string>(), version);
    if (!inst) return fromError(ctx, inst.error());
    if (d_.notify) {
      d_.notify({d_.model.tenantId(), inst->teamsAppId, inst->teamId, inst->id, "created"});
    }
    return Response::json(201, installationRecord(*inst));
  }
  if (req.method == "DELETE") {
    std::string id = s.size() == 2 ? s[1] : std::string();
    const std::string teamId = queryValue(req, "teamId");
    if (id.empty()) {
      const std::string appRef = queryValue(req, "teamsAppId");
      auto app = appRef.empty() ? std::nullopt : d_.model.app(appRef);
      if (teamId.empty() || !app) {
        return bad(ctx,
                   "DELETE /_emulator/installations/{installationId}, or "
                   "?teamId=...&teamsAppId=... naming an existing app");
      }
      id = installationId(teamId, app->id);
    }
    auto removed = d_.model.uninstall(id, teamId);
    if (!removed) return fromError(ctx, removed.error());
    if (d_.notify) {
      d_.notify(
          {d_.model.tenantId(), removed->teamsAppId, removed->teamId, removed->id, "deleted"});
    }
    return Response::empty(204);
  }
  return notAllowed(req, ctx, s.size() == 1 ? "GET, POST, DELETE" : "DELETE");
}

Response ControlApi::faults(const Request& req, const RequestContext& ctx) {
  if (req.method == "GET") return Response::json(200, toJson(d_.faults.current()));
  if (req.method == "DELETE") {
    d_.faults.clear();
    return Response::empty(204);
  }
  if (req.method != "PUT") return notAllowed(req, ctx, "GET, PUT, DELETE");
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) return bad(ctx, "the body must be JSON: {\"rules\":[...]}");
  auto parsed = faultSettingsFromJson(body, d_.faults.current());
  if (!parsed) return bad(ctx, parsed.error().message);
  d_.faults.set(*parsed);
  return Response::json(200, toJson(*parsed));
}

Response ControlApi::limits(const Request& req, const RequestContext& ctx) {
  auto show = [](const ThrottleLimits& l) {
    return json{{"getPerSecond", l.getPerSecond},
                {"postPerSecond", l.postPerSecond},
                {"perTeamPerSecond", l.perTeamPerSecond},
                {"enabled", l.enabled}};
  };
  if (req.method == "GET") return Response::json(200, show(d_.throttle.limits()));
  if (req.method != "PUT") return notAllowed(req, ctx, "GET, PUT");
  auto body = objectBody(req, {"getPerSecond", "postPerSecond", "perTeamPerSecond", "enabled"});
  if (!body) return fromError(ctx, body.error());
  ThrottleLimits l = d_.throttle.limits();
  for (auto [name, field] :
       {std::pair{"getPerSecond", &l.getPerSecond}, std::pair{"postPerSecond", &l.postPerSecond},
        std::pair{"perTeamPerSecond", &l.perTeamPerSecond}}) {
    if (!body->contains(name)) continue;
    auto v = nonNegativeInt(*body, name, 1'000'000);
    if (!v) return fromError(ctx, v.error());
    *field = *v;
  }
  if (body->contains("enabled")) {
    auto v = boolean(*body, "enabled");
    if (!v) return fromError(ctx, v.error());
    l.enabled = *v;
  }
  d_.throttle.setLimits(l);
  return Response::json(200, show(l));
}

Response ControlApi::settings(const Request& req, const RequestContext& ctx, bool latencyOnly) {
  auto show = [&](const RuntimeSettings& s) {
    json j = {{"fixedMs", s.latency.count()}, {"jitterMs", s.latencyJitter.count()}};
    if (latencyOnly) return j;
    return json{{"tenantId", d_.model.tenantId()},
                {"tokenLifetimeSeconds", s.tokenLifetime.count()},
                {"allowAppOnlyRsc", s.allowAppOnlyRsc},
                {"pageSize", s.pageSize},
                {"deviceCodeIntervalSeconds", s.deviceCodeInterval.count()},
                {"deviceCodeLifetimeSeconds", s.deviceCodeLifetime.count()},
                {"latency", j}};
  };
  if (req.method == "GET") return Response::json(200, show(d_.settings.get()));
  if (req.method != "PUT") return notAllowed(req, ctx, "GET, PUT");
  std::set<std::string> allowed = {"fixedMs", "jitterMs"};
  if (!latencyOnly) {
    allowed = {"tokenLifetimeSeconds", "allowAppOnlyRsc", "pageSize", "deviceCodeIntervalSeconds",
               "deviceCodeLifetimeSeconds"};
  }
  auto body = objectBody(req, allowed);
  if (!body) return fromError(ctx, body.error());
  RuntimeSettings s = d_.settings.get();
  if (latencyOnly) {
    if (body->contains("fixedMs")) {
      auto v = nonNegativeInt(*body, "fixedMs", 600'000);
      if (!v) return fromError(ctx, v.error());
      s.latency = std::chrono::milliseconds(*v);
    }
    if (body->contains("jitterMs")) {
      auto v = nonNegativeInt(*body, "jitterMs", 600'000);
      if (!v) return fromError(ctx, v.error());
      s.latencyJitter = std::chrono::milliseconds(*v);
    }
  } else {
    if (body->contains("tokenLifetimeSeconds")) {
      auto v = nonNegativeInt(*body, "tokenLifetimeSeconds", 86'400);
      if (!v) return fromError(ctx, v.error());
      s.tokenLifetime = std::chrono::seconds(*v);
    }
    if (body->contains("allowAppOnlyRsc")) {
      auto v = boolean(*body, "allowAppOnlyRsc");
      if (!v) return fromError(ctx, v.error());
      s.allowAppOnlyRsc = *v;
    }
    if (body->contains("pageSize")) {
      auto v = nonNegativeInt(*body, "pageSize", 999);
      if (!v || *v == 0) return bad(ctx, "pageSize must be an integer from 1 to 999");
      s.pageSize = static_cast<size_t>(*v);
    }
    if (body->contains("deviceCodeIntervalSeconds")) {
      auto v = nonNegativeInt(*body, "deviceCodeIntervalSeconds", 3600);
      if (!v) return fromError(ctx, v.error());
      s.deviceCodeInterval = std::chrono::seconds(*v);
    }
    if (body->contains("deviceCodeLifetimeSeconds")) {
      auto v = nonNegativeInt(*body, "deviceCodeLifetimeSeconds", 86'400);
      if (!v || *v == 0)
        return bad(ctx, "deviceCodeLifetimeSeconds must be an integer from 1 to 86400");
      s.deviceCodeLifetime = std::chrono::seconds(*v);
    }
  }
  d_.settings.set(s);
  return Response::json(200, show(s));
}

Response ControlApi::subscriptions(const Request& req, const std::vector<std::string>& s,
                                   const RequestContext& ctx) {
#if defined(APPKEEPER_EMULATOR_HAS_SUBSCRIPTIONS)
  if (!d_.subscriptions) {
    return graphError(ctx, 501, "NotImplemented",
                      "subscriptions are switched off in this emulator");
  }
  SubscriptionService& subs = *d_.subscriptions;
  if (s.size() == 1) {
    if (req.method != "GET") return notAllowed(req, ctx, "GET");
    return Response::json(200, {{"value", subs.list()}});
  }
  if (s.size() == 2 && s[1] == "delivery") {
    if (req.method != "PUT") return notAllowed(req, ctx, "PUT");
    auto body = objectBody(req, {"dropRate"});
    if (!body) return fromError(ctx, body.error());
    auto rate = body->find("dropRate");
    if (rate == body->end() || !rate->is_number() || *rate < 0.0 || *rate > 1.0) {
      return bad(ctx, "dropRate must be a number from 0 to 1");
    }
    subs.setDeliveryDropRate(rate->get<double>());
    return Response::json(200, {{"dropRate", rate->get<double>()}});
  }
  if (s.size() == 3 && s[2] == "lifecycle") {
    if (req.method != "POST") return notAllowed(req, ctx, "POST");
    auto body = objectBody(req, {"event"});
    if (!body) return fromError(ctx, body.error());
    auto event = body->find("event");
    if (event == body->end() || !event->is_string()) {
      return bad(ctx, "event is required: missed, subscriptionRemoved or reauthorizationRequired");
    }
    return subs.triggerLifecycle(s[1], event->get<std::string>(), ctx);
  }
  if (s.size() == 3 && s[2] == "expire") {
    if (req.method != "POST") return notAllowed(req, ctx, "POST");
    if (!subs.expireNow(s[1])) return graphError(ctx, 404, "NotFound", "no subscription " + s[1]);
    return Response::empty(204);
  }
  return graphError(ctx, 404, "NotFound", "No control endpoint at " + req.path);
#else
  (void)s;
  (void)req;
  return graphError(ctx, 501, "NotImplemented", "subscriptions are not built into this emulator");
#endif
}

Response ControlApi::stats(const Request& req, const RequestContext& ctx) {
  if (req.method == "DELETE") {
    d_.stats.reset();
    d_.throttle.resetObservations();
    return Response::empty(204);
  }
  if (req.method != "GET") return notAllowed(req, ctx, "GET, DELETE");
  json out = d_.stats.toJson();
  out["maxPerSecond"] = d_.throttle.observations();
  out["throttledPerSecond"] = d_.throttle.refusalsPerSecond();
  out["tokens"] = d_.tokens.size();
  out["refreshTokens"] = d_.refreshTokens.validCount();
#if defined(APPKEEPER_EMULATOR_HAS_SUBSCRIPTIONS)
  if (d_.subscriptions) out["subscriptions"] = d_.subscriptions->stats();
#endif
  return Response::json(200, out);
}

Response ControlApi::deviceCodes(const Request& req, const std::vector<std::string>& s,
                                 const RequestContext& ctx) {
  if (s.size() == 1) {
    if (req.method != "GET") return notAllowed(req, ctx, "GET");
    // Never the device_code: it is the client's secret, and a test needs only the user code.
    json value = json::array();
    for (const auto& c : d_.deviceCodes.list()) {
      json item = {{"userCode", c.userCode},
                   {"state", toString(c.state)},
                   {"expiresAt", odataDateTime(c.expiresAt)},
                   {"scope", c.scope}};
      if (!c.user.empty()) item["user"] = c.user;
      value.push_back(std::move(item));
    }
    return Response::json(200, {{"value", value}});
  }
  if (s.size() != 3 || (s[2] != "approve" && s[2] != "decline")) {
    return graphError(ctx, 404, "NotFound", "No control endpoint at " + req.path);
  }
  if (req.method != "POST") return notAllowed(req, ctx, "POST");
  const bool approve = s[2] == "approve";
  std::string user = "admin@contoso.example";
  if (approve) {
    auto body = objectBody(req, {"user"});
    if (!body) return fromError(ctx, body.error());
    if (auto u = body->find("user"); u != body->end()) {
      if (!u->is_string() || u->get_ref<const std::string&>().empty()) {
        return bad(ctx, "user must be a non-empty string, e.g. \"admin@contoso.example\"");
      }
      user = u->get<std::string>();
    }
  }
  const DeviceDecision decision =
      approve ? d_.deviceCodes.approve(s[1], user) : d_.deviceCodes.decline(s[1]);
  switch (decision) {
    case DeviceDecision::kUnknown:
      return graphError(
          ctx, 404, "NotFound",
          "No device code with user code " + s[1] + "; GET /_emulator/devicecodes lists them.");
    case DeviceDecision::kNotPending:
      return graphError(ctx, 409, "Conflict",
                        "The device code " + s[1] +
                            " is no longer pending (approved, declined, redeemed or expired); "
                            "start a new sign-in.");
    case DeviceDecision::kDone:
      break;
  }
  json out = {{"userCode", s[1]}, {"state", approve ? "approved" : "declined"}};
  if (approve) out["user"] = user;
  return Response::json(200, out);
}

}  // namespace appkeeper::emulator
