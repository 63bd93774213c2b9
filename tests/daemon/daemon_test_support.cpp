#include "daemon_test_support.h"

#include <fstream>
#include <regex>

#include "graph/graph_datetime.h"

namespace appkeeper::daemon::testing {
namespace {

using nlohmann::json;

std::string percentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    parts.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return parts;
    start = at + 1;
  }
}

std::map<std::string, std::string> queryOf(const std::string& query) {
  std::map<std::string, std::string> out;
  if (query.empty()) return out;
  for (const auto& pair : split(query, '&')) {
    auto eq = pair.find('=');
    out[percentDecode(pair.substr(0, eq))] =
        eq == std::string::npos ? "" : percentDecode(pair.substr(eq + 1));
  }
  return out;
}

// "field eq 'value'" -> value for `field`.
std::optional<std::string> filterValue(const std::string& filter, const std::string& field) {
  std::smatch m;
  std::regex re("^" + field + " eq '([^']*)'$");
  if (std::regex_match(filter, m, re)) return m[1].str();
  return std::nullopt;
}

graph::HttpResponse jsonResponse(int status, const json& body, int requestId) {
  return {
      status,
      {{"Content-Type", "application/json"}, {"request-id", "req-" + std::to_string(requestId)}},
      body.dump()};
}

}  // namespace

void FakeGraph::addTeams(int n) {
  for (int i = 1; i <= n; ++i) teams_.push_back("t" + std::to_string(i));
}

void FakeGraph::addApp(const std::string& id, const std::string& displayName,
                       const std::string& externalId) {
  apps_[id] = App{id, externalId, displayName, {}};
}

void FakeGraph::addVersion(const std::string& appId, const std::string& version,
                           std::vector<RscPermission> rsc, const std::string& state) {
  App& a = apps_.at(appId);
  a.definitions.push_back(AppDefinition{appId + "##" + version, appId, version, state, rsc});
}

std::string FakeGraph::install(const std::string& teamId, const std::string& appId,
                               const std::string& version) {
  std::string id = teamId + "##" + appId + "==";
  installations_.push_back(Installation{teamId, id, appId, version});
  return id;
}

std::string FakeGraph::versionIn(const std::string& installationId) const {
  for (const auto& i : installations_) {
    if (i.id == installationId) return i.version;
  }
  return "";
}

void FakeGraph::setVersion(const std::string& installationId, const std::string& version) {
  for (auto& i : installations_) {
    if (i.id == installationId) i.version = version;
  }
}

void FakeGraph::uninstall(const std::string& installationId) {
  std::erase_if(installations_, [&](const Installation& i) { return i.id == installationId; });
}

void FakeGraph::removeTeam(const std::string& teamId) {
  std::erase(teams_, teamId);
  std::erase_if(installations_, [&](const Installation& i) { return i.teamId == teamId; });
}

Result<graph::HttpResponse> FakeGraph::handleSubscriptions(const graph::HttpRequest& request,
                                                           const std::vector<std::string>& segments,
                                                           int requestId) {
  auto view = [](json sub) {
    sub.erase("clientState");  // Graph never returns it in a list
    return sub;
  };
  if (segments.size() == 1 && request.method == "POST") {
    ++subscriptionCreates;
    json body = json::parse(request.body);
    if (!subscriptionCreateFaults.empty()) {
      auto r = subscriptionCreateFaults.front();
      subscriptionCreateFaults.pop_front();
      return r;
    }
    if (onSubscriptionCreate) onSubscriptionCreate(body);
    json sub = body;
    sub["id"] = "sub-" + std::to_string(++subscriptionIds_);
    sub["applicationId"] = "client-1";
    subscriptions[sub["id"]] = sub;
    return jsonResponse(201, view(sub), requestId);
  }
  if (segments.size() == 1 && request.method == "GET") {
    json value = json::array();
    for (const auto& [id, sub] : subscriptions) value.push_back(view(sub));
    return jsonResponse(200, {{"value", value}}, requestId);
  }
  if (segments.size() == 2) {
    auto it = subscriptions.find(segments[1]);
    if (it == subscriptions.end()) return error(404, "ResourceNotFound");
    if (request.method == "PATCH") {
      ++subscriptionRenewals;
      it->second["expirationDateTime"] = json::parse(request.body).at("expirationDateTime");
      return jsonResponse(200, view(it->second), requestId);
    }
    if (request.method == "DELETE") {
      ++subscriptionDeletes;
      subscriptions.erase(it);
      return graph::HttpResponse{204, {}, ""};
    }
  }
  return Error::internal("FakeGraph: no subscription route for " + request.method + " " +
                         request.url);
}

const AppDefinition* FakeGraph::latest(const std::string& appId) const {
  auto it = apps_.find(appId);
  if (it == apps_.end()) return nullptr;
  const AppDefinition* best = nullptr;
  for (const auto& d : it->second.definitions) {
    if (d.publishingState != "published") continue;
    if (best == nullptr || *compareVersions(d.version, best->version) > 0) best = &d;
  }
  return best;
}

graph::HttpResponse FakeGraph::error(int status, const std::string& code,
                                     const std::string& innerCode, const std::string& retryAfter) {
  json inner = {{"request-id", "err-" + std::to_string(status)}};
  if (!innerCode.empty()) inner["code"] = innerCode;
  json body = {
      {"error", {{"code", code}, {"message", code + " from FakeGraph"}, {"innerError", inner}}}};
  graph::HttpResponse r{status, {{"Content-Type", "application/json"}}, body.dump()};
  if (!retryAfter.empty()) r.headers.emplace_back("Retry-After", retryAfter);
  return r;
}

json FakeGraph::appJson(const App& a) const {
  json defs = json::array();
  for (const auto& d : a.definitions) {
    json perms = json::array();
    for (const auto& p : d.rsc) {
      perms.push_back({{"permissionValue", p.value}, {"permissionType", p.type}});
    }
    defs.push_back(
        {{"id", d.id},
         {"teamsAppId", d.teamsAppId},
         {"version", d.version},
         {"publishingState", d.publishingState},
         {"authorization", {{"requiredPermissionSet", {{"resourceSpecificPermissions", perms}}}}}});
  }
  return {{"id", a.id},
          {"externalId", a.externalId},
          {"displayName", a.displayName},
          {"distributionMethod", "organization"},
          {"appDefinitions", defs}};
}

json FakeGraph::installationJson(const Installation& i) const {
  return {{"id", i.id},
          {"teamsApp", {{"id", i.appId}}},
          {"teamsAppDefinition",
           {{"id", i.appId + "##" + i.version}, {"teamsAppId", i.appId}, {"version", i.version}}}};
}

void FakeGraph::attach(FakeTransport& net) {
  net.setHandler([this](const graph::HttpRequest& r) { return handle(r); });
}

Result<graph::HttpResponse> FakeGraph::handle(const graph::HttpRequest& request) {
  const int rid = ++requestIds_;
  const std::string base = kBase;
  if (request.url.rfind(base, 0) != 0)
    return Error::internal("FakeGraph: foreign URL " + request.url);
  std::string rest = request.url.substr(base.size());
  const auto q = rest.find('?');
  const auto query = queryOf(q == std::string::npos ? "" : rest.substr(q + 1));
  auto segments = split(rest.substr(1, q == std::string::npos ? std::string::npos : q - 1), '/');
  for (auto& s : segments) s = percentDecode(s);
  auto param = [&](const std::string& name) {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  };

  if (request.method == "GET" && segments == std::vector<std::string>{"appCatalogs", "teamsApps"}) {
    ++catalogGets;
    if (!catalogFaults.empty()) {
      auto r = catalogFaults.front();
      catalogFaults.pop_front();
      return r;
    }
    json value = json::array();
    const std::string filter = param("$filter");
    for (const auto& [id, a] : apps_) {
      auto byId = filterValue(filter, "id");
      auto byExternal = filterValue(filter, "externalId");
      if (filterValue(filter, "distributionMethod") == std::optional<std::string>("organization") ||
          (byId && *byId == a.id) ||
          (byExternal && !a.externalId.empty() && *byExternal == a.externalId)) {
        value.push_back(appJson(a));
      }
    }
    return jsonResponse(200, {{"value", value}}, rid);
  }
  if (!segments.empty() && segments[0] == "subscriptions") {
    return handleSubscriptions(request, segments, rid);
  }
  if (request.method == "GET" && segments == std::vector<std::string>{"teams"}) {
    ++teamPageGets;
    const std::string token = param("$skiptoken");
    if (token.find_first_not_of("0123456789") != std::string::npos) {
      return error(400, "BadRequest");  // a skip token the server no longer accepts
    }
    const size_t from = token.empty() ? 0 : std::stoul(token);
    json value = json::array();
    for (size_t i = from; i < teams_.size() && i < from + pageSize; ++i) {
      value.push_back({{"id", teams_[i]}});
    }
    json body = {{"value", value}};
    if (from + pageSize < teams_.size()) {
      body["@odata.nextLink"] =
          base + "/teams?$select=id&$skiptoken=" + std::to_string(from + pageSize);
    }
    return jsonResponse(200, body, rid);
  }
  if (segments.size() >= 3 && segments[0] == "teams" && segments[2] == "installedApps") {
    const std::string& team = segments[1];
    if (request.method == "GET" && segments.size() == 3) {
      ++installationLists;
      auto appId = filterValue(param("$filter"), "teamsApp/id");
      json value = json::array();
      for (const auto& i : installations_) {
        if (i.teamId == team && (!appId || *appId == i.appId)) value.push_back(installationJson(i));
      }
      return jsonResponse(200, {{"value", value}}, rid);
    }
    if (request.method == "GET" && segments.size() == 4) {
      ++installationGets;
      if (!installationGetFaults.empty()) {
        auto r = installationGetFaults.front();
        installationGetFaults.pop_front();
        return r;
      }
      for (const auto& i : installations_) {
        if (i.teamId == team && i.id == segments[3])
          return jsonResponse(200, installationJson(i), rid);
      }
      return error(404, "NotFound");
    }
    if (request.method == "POST" && segments.size() == 5 && segments[4] == "upgrade") {
      const std::string auth = graph::findHeader(request.headers, "Authorization").value_or("");
      upgrades.push_back(Upgrade{team, segments[3], request.body, auth});
      if (!upgradeFaults.empty()) {
        auto r = upgradeFaults.front();
        upgradeFaults.pop_front();
        return r;
      }
      for (auto& i : installations_) {
        if (i.teamId == team && i.id == segments[3]) {
          if (const AppDefinition* d = latest(i.appId)) i.version = d->version;
          return graph::HttpResponse{204, {{"request-id", "req-" + std::to_string(rid)}}, ""};
        }
      }
      return error(404, "NotFound");
    }
  }
  return Error::internal("FakeGraph: no route for " + request.method + " " + request.url);
}

graph::GraphClientOptions GraphHarness::options() {
  graph::GraphClientOptions o;
  o.baseUrl = FakeGraph::kBase;
  o.tenantId = FakeGraph::kTenant;
  o.maxGetAttempts = 1;
  return o;
}

GraphHarness::GraphHarness() : client(options(), net, tokens, limiter, clock, sleeper, random) {
  graph.attach(net);
}

std::vector<store::AuditRecord> auditOf(store::Store& s, const std::string& event,
                                        const std::string& outcome) {
  auto all = must(s.queryAudit({}));
  std::vector<store::AuditRecord> out;
  for (auto& r : all) {
    if (r.event == event && (outcome.empty() || r.outcome == outcome)) out.push_back(r);
  }
  return out;
}

}  // namespace appkeeper::daemon::testing
