// GET /teams, GET /teams/{id}, GET /teams/{id}/installedApps[/{id}] and
// POST /teams/{id}/installedApps/{id}/upgrade (shared/graph-api.md §2.2-2.6).
#include <cctype>
#include <iterator>
#include <set>
#include <string_view>

#include "common/ascii.h"
#include "emulator/graph_json.h"
#include "emulator/route_support.h"

namespace appkeeper::emulator {
namespace {

const std::set<std::string> kTeamFields = {"id", "displayName", "description", "visibility"};
const std::set<std::string> kTeamFilters = {"id", "displayName", "visibility"};
const std::set<std::string> kInstallationFields = {"id", "consentedPermissionSet"};
const std::set<std::string> kInstallationFilters = {"id",
                                                    "teamsApp/id",
                                                    "teamsApp/externalId",
                                                    "teamsApp/displayName",
                                                    "teamsApp/distributionMethod",
                                                    "teamsAppDefinition/version"};

GraphResult fail(const RequestContext& ctx, const Error& e) {
  return GraphResult{errorResponse(ctx, e), {}, {}};
}

bool teamMatches(const Team& t, const std::vector<FilterClause>& filter) {
  for (const auto& c : filter) {
    const std::string& v = c.path == "id"            ? t.id
                           : c.path == "displayName" ? t.displayName
                                                     : t.visibility;
    if (v != c.value) return false;
  }
  return true;
}

nlohmann::json teamItem(const Team& team, const ODataQuery& q) {
  nlohmann::json j = teamJson(team);
  return q.select ? project(j, *q.select) : j;
}

GraphResult listTeams(const Request& req, const RouteInfo& route, const RequestContext& ctx,
                      const ODataQuery& q, TenantModel& model, const GraphSettings& settings) {
  if (auto s = checkFilter(q.filter, kTeamFilters, "teams"); !s) return fail(ctx, s.error());
  if (auto s = checkSelect(q.select, kTeamFields, "microsoft.graph.team"); !s)
    return fail(ctx, s.error());
  if (!q.expand.empty()) {
    return fail(ctx, graphModelError(400, "BadRequest",
                                     "$expand is not supported on /teams by the emulator."));
  }
  auto window = pageWindow(req, q, settings.pageSize);
  if (!window) return fail(ctx, window.error());
  std::function<bool(const Team&)> match;
  if (!q.filter.empty()) match = [&](const Team& t) { return teamMatches(t, q.filter); };
  TeamPage page = model.teams(match, window->offset, window->size);
  nlohmann::json items = nlohmann::json::array();
  for (const auto& t : page.items) items.push_back(teamItem(t, q));
  std::optional<size_t> count;
  if (q.count) count = match ? model.teams(match, 0, SIZE_MAX).items.size() : model.teamCount();
  std::string fragment = "teams";
  if (q.select) fragment += "(" + joined(*q.select, ",") + ")";
  return {
      Response::json(200, collection(req, metadataContext(req, route, fragment), std::move(items),
                                     page.more, window->offset + page.items.size(), count)),
      {},
      {}};
}

GraphResult getTeam(const Request& req, const RouteInfo& route, const RequestContext& ctx,
                    const ODataQuery& q, TenantModel& model) {
  if (auto s = checkSelect(q.select, kTeamFields, "microsoft.graph.team"); !s)
    return fail(ctx, s.error());
  auto team = model.team(route.teamId);
  if (!team) {
    return fail(ctx,
                graphModelError(404, "NotFound", "No team found with Group Id " + route.teamId));
  }
  nlohmann::json j = teamItem(*team, q);
  j["@odata.context"] = metadataContext(req, route, "teams/$entity");
  return {Response::json(200, j), {}, {}};
}

// The expansions an installedApps request asked for, validated.
struct InstallationShape {
  const ExpandItem* app = nullptr;
  const ExpandItem* definition = nullptr;
};

Result<InstallationShape> installationShape(const ODataQuery& q) {
  if (auto s = checkSelect(q.select, kInstallationFields, "microsoft.graph.teamsAppInstallation");
      !s) {
    return s.error();
  }
  InstallationShape shape;
  for (const auto& e : q.expand) {
    if (e.name == "teamsApp") {
      if (auto s = checkSelect(e.select, kAppFields, "microsoft.graph.teamsApp"); !s)
        return s.error();
      shape.app = &e;
    } else if (e.name == "teamsAppDefinition") {
      if (auto s = checkSelect(e.select, kDefinitionFields, "microsoft.graph.teamsAppDefinition");
          !s) {
        return s.error();
      }
      shape.definition = &e;
    } else {
      return graphModelError(400, "BadRequest",
                             "Could not find a property named '" + e.name +
                                 "' on type 'microsoft.graph.teamsAppInstallation'.");
    }
  }
  return shape;
}

nlohmann::json installationItem(const InstalledApp& ia, const ODataQuery& q,
                                const InstallationShape& shape) {
  // consentedPermissionSet only when $select asks for it (§1.4).
  nlohmann::json j = nlohmann::json::object();
  const auto& inst = ia.installation;
  if (q.select) {
    for (const auto& name : *q.select) {
      if (name == "id") j["id"] = inst.id;
      if (name == "consentedPermissionSet") {
        j[name] = inst.consented ? permissionSetJson(*inst.consented) : nlohmann::json(nullptr);
      }
    }
  } else {
    j["id"] = inst.id;
  }
  if (shape.app) {
    nlohmann::json a = appJson(ia.app);
    j["teamsApp"] = shape.app->select ? project(a, *shape.app->select) : a;
  }
  if (shape.definition) {
    nlohmann::json d = definitionJson(ia.app, ia.definition);
    j["teamsAppDefinition"] = shape.definition->select ? project(d, *shape.definition->select) : d;
  }
  return j;
}

bool installationMatches(const InstalledApp& ia, const std::vector<FilterClause>& filter) {
  for (const auto& c : filter) {
    const std::string* v = c.path == "id"                            ? &ia.installation.id
                           : c.path == "teamsApp/id"                 ? &ia.app.id
                           : c.path == "teamsApp/externalId"         ? &ia.app.externalId
                           : c.path == "teamsApp/displayName"        ? &ia.app.displayName
                           : c.path == "teamsApp/distributionMethod" ? &ia.app.distributionMethod
                                                                     : &ia.definition.version;
    if (*v != c.value) return false;
  }
  return true;
}

std::string installationFragment(const std::string& teamId, const ODataQuery& q,
                                 const InstallationShape& shape, bool entity) {
  std::string f = "teams('" + teamId + "')/installedApps";
  std::vector<std::string> parts;
  if (q.select) parts = *q.select;
  if (shape.app) parts.push_back("teamsApp()");
  if (shape.definition) parts.push_back("teamsAppDefinition()");
  if (!parts.empty()) f += "(" + joined(parts, ",") + ")";
  if (entity) f += "/$entity";
  return f;
}

GraphResult listInstalledApps(const Request& req, const RouteInfo& route, const RequestContext& ctx,
                              const ODataQuery& q, TenantModel& model,
                              const GraphSettings& settings) {
  if (auto s = checkFilter(q.filter, kInstallationFilters, "installedApps"); !s)
    return fail(ctx, s.error());
  auto shape = installationShape(q);
  if (!shape) return fail(ctx, shape.error());
  auto window = pageWindow(req, q, settings.pageSize);
  if (!window) return fail(ctx, window.error());
  auto all = model.installedApps(route.teamId);
  if (!all) return fail(ctx, all.error());
  std::vector<const InstalledApp*> matched;
  for (const auto& ia : *all) {
    if (installationMatches(ia, q.filter)) matched.push_back(&ia);
  }
  nlohmann::json items = nlohmann::json::array();
  for (size_t i = window->offset; i < matched.size() && items.size() < window->size; ++i) {
    items.push_back(installationItem(*matched[i], q, *shape));
  }
  const size_t end = window->offset + items.size();
  return {Response::json(
              200, collection(req,
                              metadataContext(req, route,
                                              installationFragment(route.teamId, q, *shape, false)),
                              std::move(items), end < matched.size(), end,
                              q.count ? std::optional<size_t>(matched.size()) : std::nullopt)),
          {},
          {}};
}

GraphResult getInstalledApp(const Request& req, const RouteInfo& route, const RequestContext& ctx,
                            const ODataQuery& q, TenantModel& model) {
  if (!q.filter.empty() || q.top || q.skipToken) {
    return fail(ctx, graphModelError(400, "BadRequest",
                                     "$filter, $top and $skiptoken apply to collections, not to "
                                     "a single installation."));
  }
  auto shape = installationShape(q);
  if (!shape) return fail(ctx, shape.error());
  auto ia = model.installedApp(route.teamId, route.segments[3]);
  if (!ia) return fail(ctx, ia.error());
  nlohmann::json j = installationItem(*ia, q, *shape);
  j["@odata.context"] =
      metadataContext(req, route, installationFragment(route.teamId, q, *shape, true));
  return {Response::json(200, j), {}, {}};
}

// No body, "{}", or {"consentedPermissionSet": {"resourceSpecificPermissions": [...]}}.
Result<std::optional<std::vector<RscPermission>>> upgradeConsent(const std::string& body) {
  using Consent = std::optional<std::vector<RscPermission>>;
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return Consent{};
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return graphModelError(400, "BadRequest",
                           "Unable to read JSON request payload. Please ensure Content-Type header "
                           "is set and payload is of valid JSON format.");
  }
  for (const auto& [key, v] : j.items()) {
    if (key != "consentedPermissionSet" && key.rfind("@odata.", 0) != 0) {
      return graphModelError(400, "BadRequest",
                             "The property '" + key +
                                 "' does not exist on type 'microsoft.graph.upgrade' (the body "
                                 "may hold only consentedPermissionSet).");
    }
  }
  auto set = j.find("consentedPermissionSet");
  if (set == j.end() || set->is_null()) return Consent{};
  auto perms = set->find("resourceSpecificPermissions");
  if (!set->is_object() || perms == set->end()) {
    return graphModelError(
        400, "BadRequest",
        "consentedPermissionSet must be an object with resourceSpecificPermissions.");
  }
  auto rsc = rscFromJson(*perms);
  if (!rsc)
    return graphModelError(400, "BadRequest", "consentedPermissionSet: " + rsc.error().message);
  return Consent{std::move(*rsc)};
}

// The upgrade permissions a delegated token may carry (§2.5, least privileged first). The first
// two cannot consent to RSC; Group/Directory are kept for backward compatibility.
constexpr const char* kDelegatedUpgradePermissions[] = {
    "TeamsAppInstallation.ReadWriteSelfForTeam",
    "TeamsAppInstallation.ReadWriteForTeam",
    "TeamsAppInstallation.ReadWriteAndConsentSelfForTeam",
    "TeamsAppInstallation.ReadWriteAndConsentForTeam",
    "TeamsAppInstallation.ManageSelectedForTeam",
    "Group.ReadWrite.All",
    "Directory.ReadWrite.All"};
constexpr size_t kCannotConsent = 2;  // the first entries above

// Permission names in a delegated token's scope ("https://graph.microsoft.com/X ..." -> X).
std::vector<std::string> delegatedPermissions(const std::string& scope) {
  constexpr std::string_view kGraph = "https://graph.microsoft.com/";
  std::vector<std::string> out;
  size_t i = 0;
  while (i < scope.size()) {
    size_t end = scope.find(' ', i);
    if (end == std::string::npos) end = scope.size();
    std::string_view w(scope.data() + i, end - i);
    if (w.size() > kGraph.size() && equalsIgnoreCaseAscii(w.substr(0, kGraph.size()), kGraph))
      w.remove_prefix(kGraph.size());
    if (!w.empty()) out.emplace_back(w);
    i = end + 1;
  }
  return out;
}

// For a delegated token: whether it may upgrade at all (403 otherwise) and whether it may
// consent to RSC. ".default" stands for whatever the admin consented to: everything here.
Result<bool> delegatedUpgradeRight(const TokenRecord& token) {
  bool any = false;
  bool mayConsent = false;
  const auto held = delegatedPermissions(token.scope);
  for (const auto& p : held) {
    if (p == ".default") return true;
    for (size_t i = 0; i < std::size(kDelegatedUpgradePermissions); ++i) {
      if (!equalsIgnoreCaseAscii(p, kDelegatedUpgradePermissions[i])) continue;
      any = true;
      if (i >= kCannotConsent) mayConsent = true;
    }
  }
  if (!any) {
    return graphModelError(403, "Forbidden",
                           "Missing scope permissions on the request. API requires one of '" +
                               joined({std::begin(kDelegatedUpgradePermissions),
                                       std::end(kDelegatedUpgradePermissions)},
                                      ", ") +
                               "'. Scopes on the request '" + joined(held, ", ") + "'",
                           "AccessDenied");
  }
  return mayConsent;
}

GraphResult upgrade(const Request& req, const RouteInfo& route, const RequestContext& ctx,
                    const TokenRecord& token, TenantModel& model, const GraphSettings& settings) {
  // Delegated tokens are what RSC upgrades need (Decision 3); they must carry an upgrade
  // permission. The consent body rules below apply to both kinds of token.
  bool delegatedMayConsent = true;
  if (token.kind == TokenKind::kDelegated) {
    auto right = delegatedUpgradeRight(token);
    if (!right) return fail(ctx, right.error());
    delegatedMayConsent = *right;
  }
  auto consent = upgradeConsent(req.body);
  if (!consent) return fail(ctx, consent.error());
  UpgradeRequest u;
  u.teamId = route.teamId;
  u.installationId = route.segments[3];
  u.consent = std::move(*consent);
  u.appOnlyToken = token.kind == TokenKind::kApp;
  u.allowAppOnlyRsc = settings.allowAppOnlyRsc;
  u.delegatedMayConsent = delegatedMayConsent;
  auto outcome = model.upgrade(u);
  if (!outcome) return fail(ctx, outcome.error());
  GraphResult r{Response::empty(204), {}, outcome->changed};
  if (outcome->changed) {
    r.change = InstallationChange{model.tenantId(), outcome->teamsAppId, outcome->teamId,
                                  outcome->installationId, "updated"};
  }
  return r;
}

}  // namespace

GraphResult teamRoute(const Request& req, const RouteInfo& route, const RequestContext& ctx,
                      const ODataQuery& q, const TokenRecord& token, TenantModel& model,
                      const GraphSettings& settings) {
  if (route.key == "GET teams") return listTeams(req, route, ctx, q, model, settings);
  if (route.key == "GET team") return getTeam(req, route, ctx, q, model);
  if (route.key == "GET installedApps")
    return listInstalledApps(req, route, ctx, q, model, settings);
  if (route.key == "GET installedApp") return getInstalledApp(req, route, ctx, q, model);
  if (route.key == "POST upgrade") return upgrade(req, route, ctx, token, model, settings);
  return {unmatchedRoute(req, route, ctx), {}, {}};
}

}  // namespace appkeeper::emulator
