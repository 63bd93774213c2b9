#include "emulator/scenario.h"

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "emulator/graph_json.h"
#include "emulator/ids.h"
#include "emulator/time_format.h"

namespace appkeeper::emulator {
namespace {

using nlohmann::json;

Error bad(const std::string& where, const std::string& what) {
  return Error::invalidInput("scenario: " + where + ": " + what);
}

Status onlyKeys(const json& obj, const std::string& where, const std::set<std::string>& allowed) {
  if (!obj.is_object()) return bad(where, "must be a JSON object");
  for (const auto& [key, v] : obj.items()) {
    if (allowed.count(key) == 0) return bad(where, "unknown property '" + key + "'");
  }
  return Ok{};
}

Result<std::string> optString(const json& obj, const char* key, const std::string& where,
                              std::string fallback = "") {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_string()) return bad(where, std::string(key) + " must be a string");
  return it->get<std::string>();
}

Status applyTeams(TenantModel& model, const json& teams, Random& random) {
  if (!teams.is_array()) return bad("teams", "must be an array");
  for (size_t i = 0; i < teams.size(); ++i) {
    const std::string where = "teams[" + std::to_string(i) + "]";
    const auto& t = teams[i];
    if (auto s = onlyKeys(t, where, {"id", "displayName", "description", "visibility"}); !s)
      return s;
    Team team;
    auto id = optString(t, "id", where);
    auto name = optString(t, "displayName", where);
    auto description = optString(t, "description", where);
    auto visibility = optString(t, "visibility", where, "private");
    for (auto* r : {&id, &name, &description, &visibility}) {
      if (!*r) return r->error();
    }
    team.id = id->empty() ? newGuid(random) : *id;
    team.displayName = name->empty() ? "Team " + std::to_string(i + 1) : *name;
    team.description = *description;
    team.visibility = *visibility;
    if (team.visibility != "private" && team.visibility != "public") {
      return bad(where, "visibility must be 'private' or 'public'");
    }
    if (auto s = model.addTeam(std::move(team)); !s) return bad(where, s.error().message);
  }
  return Ok{};
}

Status applyApps(TenantModel& model, const json& apps, Random& random) {
  if (!apps.is_array()) return bad("apps", "must be an array");
  for (size_t i = 0; i < apps.size(); ++i) {
    const std::string where = "apps[" + std::to_string(i) + "]";
    const auto& a = apps[i];
    if (auto s = onlyKeys(a, where,
                          {"id", "externalId", "displayName", "distributionMethod",
                           "shortDescription", "versions"});
        !s) {
      return s;
    }
    App app;
    auto id = optString(a, "id", where);
    auto externalId = optString(a, "externalId", where);
    auto name = optString(a, "displayName", where);
    auto method = optString(a, "distributionMethod", where, "organization");
    auto description = optString(a, "shortDescription", where);
    for (auto* r : {&id, &externalId, &name, &method, &description}) {
      if (!*r) return r->error();
    }
    if (name->empty()) return bad(where, "displayName is required");
    if (*method != "organization" && *method != "store" && *method != "sideloaded") {
      return bad(where, "distributionMethod must be organization, store or sideloaded");
    }
    app.distributionMethod = *method;
    app.displayName = *name;
    app.shortDescription = *description;
    if (*method == "store") {
      // A store app's catalog id is its manifest id and it has no externalId (§1.1).
      app.id = !id->empty() ? *id : !externalId->empty() ? *externalId : newGuid(random);
    } else {
      app.externalId = externalId->empty() ? newGuid(random) : *externalId;
      app.id = id->empty() ? newGuid(random) : *id;
    }
    auto versions = a.find("versions");
    if (versions == a.end() || !versions->is_array() || versions->empty()) {
      return bad(where, "versions must be a non-empty array");
    }
    for (size_t v = 0; v < versions->size(); ++v) {
      const std::string vwhere = where + ".versions[" + std::to_string(v) + "]";
      const auto& vj = (*versions)[v];
      if (auto s = onlyKeys(vj, vwhere,
                            {"version", "publishingState", "resourceSpecificPermissions",
                             "lastModifiedDateTime", "id"});
          !s) {
        return s;
      }
      Definition d;
      auto version = optString(vj, "version", vwhere);
      auto state = optString(vj, "publishingState", vwhere, kPublished);
      auto modified = optString(vj, "lastModifiedDateTime", vwhere);
      for (auto* r : {&version, &state, &modified}) {
        if (!*r) return r->error();
      }
      d.version = *version;
      d.publishingState = *state;
      if (!modified->empty()) {
        auto t = parseOdataDateTime(*modified);
        if (!t) return bad(vwhere, "lastModifiedDateTime must look like 2024-01-15T09:00:00Z");
        d.lastModified = *t;
      }
      if (auto rsc = vj.find("resourceSpecificPermissions"); rsc != vj.end()) {
        auto perms = rscFromJson(*rsc);
        if (!perms) return bad(vwhere, perms.error().message);
        d.rsc = std::move(*perms);
      }
      app.definitions.push_back(std::move(d));
    }
    if (auto s = model.addApp(std::move(app)); !s) return bad(where, s.error().message);
  }
  return Ok{};
}

// A team by id, else by displayName.
std::optional<std::string> resolveTeam(const TenantModel& model, const std::string& ref) {
  if (model.team(ref)) return ref;
  std::optional<std::string> found;
  model.teams(
      [&](const Team& t) {
        if (!found && t.displayName == ref) found = t.id;
        return false;
      },
      0, 0);
  return found;
}

std::optional<App> resolveApp(const TenantModel& model, const std::string& ref) {
  if (auto a = model.app(ref)) return a;
  for (auto& a : model.catalog()) {
    if (a.displayName == ref) return a;
  }
  return std::nullopt;
}

Status applyInstallations(TenantModel& model, const json& installations) {
  if (!installations.is_array()) return bad("installations", "must be an array");
  for (size_t i = 0; i < installations.size(); ++i) {
    const std::string where = "installations[" + std::to_string(i) + "]";
    const auto& ij = installations[i];
    if (auto s = onlyKeys(ij, where,
                          {"id", "teamId", "teamsAppId", "version", "upgrades", "noopUpgrades",
                           "consentedPermissionSet"});
        !s) {
      return s;
    }
    auto teamRef = optString(ij, "teamId", where);
    auto appRef = optString(ij, "teamsAppId", where);
    auto version = optString(ij, "version", where);
    for (auto* r : {&teamRef, &appRef, &version}) {
      if (!*r) return r->error();
    }
    auto teamId = resolveTeam(model, *teamRef);
    if (!teamId) return bad(where, "no team with id or displayName '" + *teamRef + "'");
    auto app = resolveApp(model, *appRef);
    if (!app) return bad(where, "no app with id, externalId or displayName '" + *appRef + "'");
    const Definition* def = version->empty() ? app->latestPublished() : app->findVersion(*version);
    if (!def) return bad(where, app->displayName + " has no version '" + *version + "'");
    if (def->publishingState != kPublished) {
      return bad(where,
                 "version " + def->version + " of " + app->displayName + " is not published");
    }
    Installation inst;
    inst.teamId = *teamId;
    inst.teamsAppId = app->id;
    inst.version = def->version;
    if (!def->rsc.empty()) inst.consented = def->rsc;
    if (auto c = ij.find("consentedPermissionSet"); c != ij.end()) {
      if (c->is_null()) {
        inst.consented.reset();
      } else {
        auto perms = c->is_object() && c->contains("resourceSpecificPermissions")
                         ? rscFromJson(c->at("resourceSpecificPermissions"))
                         : Result<std::vector<RscPermission>>(Error::invalidInput(
                               "consentedPermissionSet needs resourceSpecificPermissions"));
        if (!perms) return bad(where, perms.error().message);
        inst.consented = std::move(*perms);
      }
    }
    for (const char* counter : {"upgrades", "noopUpgrades"}) {
      auto it = ij.find(counter);
      if (it == ij.end()) continue;
      if (!it->is_number_integer() || it->get<int64_t>() < 0) {
        return bad(where, std::string(counter) + " must be a non-negative integer");
      }
      (std::string(counter) == "upgrades" ? inst.upgrades : inst.noopUpgrades) = it->get<int64_t>();
    }
    if (auto s = model.restoreInstallation(inst); !s) return bad(where, s.error().message);
  }
  return Ok{};
}

}  // namespace

Status applyScenario(TenantModel& model, const json& scenario, Random& idRandom) {
  if (auto s = onlyKeys(scenario, "top level",
                        {"description", "teams", "apps", "installations", "tenantId", "savedAt"});
      !s) {
    return s;
  }
  if (auto it = scenario.find("teams"); it != scenario.end()) {
    if (auto s = applyTeams(model, *it, idRandom); !s) return s;
  }
  if (auto it = scenario.find("apps"); it != scenario.end()) {
    if (auto s = applyApps(model, *it, idRandom); !s) return s;
  }
  if (auto it = scenario.find("installations"); it != scenario.end()) {
    if (auto s = applyInstallations(model, *it); !s) return s;
  }
  return Ok{};
}

Status loadScenarioFile(TenantModel& model, const std::string& path, Random& idRandom) {
  std::ifstream in(path);
  if (!in) return Error::invalidInput("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  json j = json::parse(text.str(), nullptr, false);
  if (j.is_discarded()) return Error::invalidInput(path + " is not valid JSON");
  auto s = applyScenario(model, j, idRandom);
  if (!s) return Error::invalidInput(path + ": " + s.error().message);
  return Ok{};
}

json dumpState(const TenantModel& model) {
  json out = {{"tenantId", model.tenantId()}};
  auto& teams = out["teams"] = json::array();
  for (const auto& t : model.teams(nullptr, 0, SIZE_MAX).items) {
    teams.push_back({{"id", t.id},
                     {"displayName", t.displayName},
                     {"description", t.description},
                     {"visibility", t.visibility}});
  }
  auto& apps = out["apps"] = json::array();
  for (const auto& a : model.catalog()) {
    json versions = json::array();
    for (const auto& d : a.definitions) {
      versions.push_back({{"version", d.version},
                          {"publishingState", d.publishingState},
                          {"lastModifiedDateTime", odataDateTime(d.lastModified)},
                          {"resourceSpecificPermissions", rscToJson(d.rsc)}});
    }
    json app = {{"id", a.id},
                {"displayName", a.displayName},
                {"distributionMethod", a.distributionMethod},
                {"shortDescription", a.shortDescription},
                {"versions", versions}};
    if (!a.externalId.empty()) app["externalId"] = a.externalId;
    apps.push_back(std::move(app));
  }
  auto& installations = out["installations"] = json::array();
  auto all = model.installations("", "");
  if (all) {
    for (const auto& i : *all) {
      installations.push_back({{"id", i.id},
                               {"teamId", i.teamId},
                               {"teamsAppId", i.teamsAppId},
                               {"version", i.version},
                               {"upgrades", i.upgrades},
                               {"noopUpgrades", i.noopUpgrades},
                               {"consentedPermissionSet",
                                i.consented ? permissionSetJson(*i.consented) : json(nullptr)}});
    }
  }
  return out;
}

Status saveStateFile(const TenantModel& model, const std::string& path) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return Error::transient("cannot write " + tmp);
    out << dumpState(model).dump(1) << '\n';
    out.flush();
    if (!out) return Error::transient("writing " + tmp + " failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Error::transient("cannot rename " + tmp + " to " + path);
  }
  return Ok{};
}

}  // namespace appkeeper::emulator
