#include "emulator/tenant_model.h"

#include <algorithm>
#include <mutex>
#include <utility>

#include "common/version.h"
#include "emulator/ids.h"

namespace appkeeper::emulator {
namespace {

bool sameVersion(const std::string& a, const std::string& b) {
  auto c = compareVersions(a, b);
  return c ? *c == 0 : a == b;
}

Error noTeam(const std::string& teamId) {
  // Graph's text for an unknown team id.
  return graphModelError(404, "NotFound", "No team found with Group Id " + teamId);
}

Error noApp(const std::string& ref) {
  return graphModelError(404, "NotFound",
                         "No app with id or externalId '" + ref + "' exists in the app catalog.");
}

}  // namespace

Error graphModelError(int httpStatus, std::string code, std::string message,
                      std::string innerCode) {
  Error e = Error::invalidInput(std::move(message));
  if (httpStatus >= 500) e.kind = ErrorKind::kInternal;
  e.httpStatus = httpStatus;
  e.code = std::move(code);
  e.innerCode = std::move(innerCode);
  return e;
}

const Definition* App::latestPublished() const {
  const Definition* best = nullptr;
  for (const auto& d : definitions) {
    if (d.publishingState != kPublished) continue;
    if (!best || compareVersions(d.version, best->version).value_or(0) > 0) best = &d;
  }
  return best;
}

const Definition* App::findVersion(const std::string& version) const {
  for (const auto& d : definitions) {
    if (sameVersion(d.version, version)) return &d;
  }
  return nullptr;
}

TenantModel::TenantModel(std::string tenantId) : tenantId_(std::move(tenantId)) {}

Status TenantModel::addTeam(Team team) {
  std::unique_lock lock(mu_);
  if (team.id.empty()) return Error::invalidInput("a team needs an id");
  if (teamIndex_.count(team.id) != 0) {
    return Error::invalidInput("team id " + team.id + " is used twice");
  }
  teamIndex_.emplace(team.id, teams_.size());
  teams_.push_back(TeamSlot{std::move(team), {}});
  return Ok{};
}

Status TenantModel::addApp(App app) {
  if (app.id.empty()) return Error::invalidInput("an app needs an id");
  for (auto& d : app.definitions) {
    if (!isValidVersion(d.version)) {
      return Error::invalidInput("app " + app.id + ": '" + d.version + "' is not a valid version");
    }
    if (d.publishingState != kPublished && d.publishingState != kSubmitted &&
        d.publishingState != kRejected) {
      return Error::invalidInput("app " + app.id + " version " + d.version +
                                 ": publishingState must be published, submitted or rejected");
    }
    d.rsc = normalized(std::move(d.rsc));
    d.id = definitionId(app.id, d.version, d.publishingState);
  }
  std::sort(app.definitions.begin(), app.definitions.end(), [](const auto& a, const auto& b) {
    return compareVersions(a.version, b.version).value_or(0) < 0;
  });
  for (size_t i = 1; i < app.definitions.size(); ++i) {
    if (sameVersion(app.definitions[i - 1].version, app.definitions[i].version)) {
      return Error::invalidInput("app " + app.id + " lists version " + app.definitions[i].version +
                                 " twice");
    }
  }
  std::unique_lock lock(mu_);
  if (appIndex_.count(app.id) != 0)
    return Error::invalidInput("app id " + app.id + " is used twice");
  if (!app.externalId.empty() && appIndex_.count(app.externalId) != 0) {
    return Error::invalidInput("app externalId " + app.externalId + " is used twice");
  }
  appIndex_.emplace(app.id, apps_.size());
  if (!app.externalId.empty()) appIndex_.emplace(app.externalId, apps_.size());
  apps_.push_back(std::move(app));
  return Ok{};
}

const App* TenantModel::findApp(const std::string& ref) const {
  auto it = appIndex_.find(ref);
  return it == appIndex_.end() ? nullptr : &apps_[it->second];
}

App* TenantModel::findApp(const std::string& ref) {
  auto it = appIndex_.find(ref);
  return it == appIndex_.end() ? nullptr : &apps_[it->second];
}

const TenantModel::TeamSlot* TenantModel::findTeam(const std::string& teamId) const {
  auto it = teamIndex_.find(teamId);
  return it == teamIndex_.end() ? nullptr : &teams_[it->second];
}

TenantModel::TeamSlot* TenantModel::findTeam(const std::string& teamId) {
  auto it = teamIndex_.find(teamId);
  return it == teamIndex_.end() ? nullptr : &teams_[it->second];
}

size_t TenantModel::teamCount() const {
  std::shared_lock lock(mu_);
  return teams_.size();
}

std::optional<Team> TenantModel::team(const std::string& teamId) const {
  std::shared_lock lock(mu_);
  const TeamSlot* slot = findTeam(teamId);
  if (!slot) return std::nullopt;
  return slot->team;
}

TeamPage TenantModel::teams(const std::function<bool(const Team&)>& match, size_t offset,
                            size_t limit) const {
  TeamPage page;
  std::shared_lock lock(mu_);
  if (!match) {
    for (size_t i = offset; i < teams_.size() && page.items.size() < limit; ++i) {
      page.items.push_back(teams_[i].team);
    }
    page.more = offset + page.items.size() < teams_.size();
    return page;
  }
  size_t seen = 0;
  for (const auto& slot : teams_) {
    if (!match(slot.team)) continue;
    if (seen++ < offset) continue;
    if (page.items.size() == limit) {
      page.more = true;
      break;
    }
    page.items.push_back(slot.team);
  }
  return page;
}

std::vector<App> TenantModel::catalog() const {
  std::shared_lock lock(mu_);
  return apps_;
}

std::optional<App> TenantModel::app(const std::string& ref) const {
  std::shared_lock lock(mu_);
  const App* a = findApp(ref);
  if (!a) return std::nullopt;
  return *a;
}

InstalledApp TenantModel::expand(const Installation& inst) const {
  InstalledApp out;
  out.installation = inst;
  if (const App* a = findApp(inst.teamsAppId)) {
    out.app.id = a->id;
    out.app.externalId = a->externalId;
    out.app.displayName = a->displayName;
    out.app.distributionMethod = a->distributionMethod;
    out.app.shortDescription = a->shortDescription;
    if (const Definition* d = a->findVersion(inst.version)) out.definition = *d;
  }
  return out;
}

Result<std::vector<InstalledApp>> TenantModel::installedApps(const std::string& teamId) const {
  std::shared_lock lock(mu_);
  const TeamSlot* slot = findTeam(teamId);
  if (!slot) return noTeam(teamId);
  std::vector<InstalledApp> out;
  out.reserve(slot->installed.size());
  for (const auto& inst : slot->installed) out.push_back(expand(inst));
  return out;
}

Result<InstalledApp> TenantModel::installedApp(const std::string& teamId,
                                               const std::string& installationId) const {
  std::shared_lock lock(mu_);
  const TeamSlot* slot = findTeam(teamId);
  if (!slot) return noTeam(teamId);
  for (const auto& inst : slot->installed) {
    if (inst.id == installationId) return expand(inst);
  }
  return graphModelError(404, "NotFound",
                         "No app installation with id '" + installationId + "' in team " + teamId);
}

Result<std::vector<Installation>> TenantModel::installations(const std::string& appRef,
                                                             const std::string& teamId) const {
  std::shared_lock lock(mu_);
  std::string appId;
  if (!appRef.empty()) {
    const App* a = findApp(appRef);
    if (!a) return noApp(appRef);
    appId = a->id;
  }
  std::vector<Installation> out;
  auto collect = [&](const TeamSlot& slot) {
    for (const auto& inst : slot.installed) {
      if (appId.empty() || inst.teamsAppId == appId) out.push_back(inst);
    }
  };
  if (!teamId.empty()) {
    const TeamSlot* slot = findTeam(teamId);
    if (!slot) return noTeam(teamId);
    collect(*slot);
  } else {
    for (const auto& slot : teams_) collect(slot);
  }
  return out;
}

std::map<std::pair<std::string, std::string>, int64_t> TenantModel::installCounts() const {
  std::map<std::pair<std::string, std::string>, int64_t> out;
  std::shared_lock lock(mu_);
  for (const auto& slot : teams_) {
    for (const auto& inst : slot.installed) ++out[{inst.teamsAppId, inst.version}];
  }
  return out;
}

Result<UpgradeOutcome> TenantModel::upgrade(const UpgradeRequest& request) {
  std::unique_lock lock(mu_);
  TeamSlot* slot = findTeam(request.teamId);
  if (!slot) return noTeam(request.teamId);
  Installation* inst = nullptr;
  for (auto& i : slot->installed) {
    if (i.id == request.installationId) inst = &i;
  }
  if (!inst) {
    return graphModelError(
        404, "NotFound",
        "No app installation with id '" + request.installationId + "' in team " + request.teamId);
  }
  const App* app = findApp(inst->teamsAppId);
  const Definition* target = app ? app->latestPublished() : nullptr;
  if (!target) {
    return graphModelError(409, "Conflict", "The app has no published version to upgrade to.");
  }
  // Authorization and request validation come before the state check: Graph validates a
  // request before acting on it, so an invalid upgrade of a current installation still fails.
  if (request.appOnlyToken && !request.allowAppOnlyRsc && !target->rsc.empty()) {
    return graphModelError(
        403, "Forbidden",
        "Upgrading an app that requires resource-specific consent permissions is not supported "
        "in application context. Call this API with a delegated token.",
        "AccessDenied");
  }
  if (!request.appOnlyToken && !request.delegatedMayConsent && !target->rsc.empty()) {
    return graphModelError(
        403, "Forbidden",
        "TeamsAppInstallation.ReadWriteForTeam and TeamsAppInstallation.ReadWriteSelfForTeam "
        "cannot upgrade an app that requires resource-specific consent. Sign in with "
        "TeamsAppInstallation.ReadWriteAndConsentForTeam.",
        "AccessDenied");
  }
  const std::string consentMessage =
      "The required permissions have not been consented to by the caller.";
  if (request.consent) {
    if (normalized(*request.consent) != target->rsc) {
      return graphModelError(400, "BadRequest", consentMessage, "InvalidRequest");
    }
  } else if (hasApplicationPermission(target->rsc)) {
    return graphModelError(400, "BadRequest", consentMessage, "InvalidRequest");
  }
  UpgradeOutcome out;
  out.teamId = request.teamId;
  out.teamsAppId = inst->teamsAppId;
  out.installationId = inst->id;
  out.fromVersion = inst->version;
  out.toVersion = target->version;
  if (sameVersion(inst->version, target->version)) {
    ++inst->noopUpgrades;
    return out;
  }
  out.changed = true;
  inst->version = target->version;
  if (target->rsc.empty()) {
    inst->consented.reset();
  } else {
    inst->consented = target->rsc;
  }
  ++inst->upgrades;
  return out;
}

Result<std::pair<std::string, Definition>> TenantModel::addVersion(const std::string& appRef,
                                                                   const NewVersion& v) {
  if (!isValidVersion(v.version)) {
    return graphModelError(
        400, "BadRequest",
        "'" + v.version + "' is not a valid version: use dot-separated numbers such as 1.2.0");
  }
  for (const auto& p : v.rsc) {
    if (p.value.empty() || (p.type != "application" && p.type != "delegated")) {
      return graphModelError(400, "BadRequest",
                             "each resourceSpecificPermission needs a permissionValue and a "
                             "permissionType of 'application' or 'delegated'");
    }
  }
  std::unique_lock lock(mu_);
  App* app = findApp(appRef);
  if (!app) return noApp(appRef);
  for (const auto& d : app->definitions) {
    if (compareVersions(v.version, d.version).value_or(0) <= 0) {
      return graphModelError(409, "Conflict",
                             "version " + v.version + " is not greater than existing version " +
                                 d.version + " (" + d.publishingState + ") of " + app->displayName);
    }
  }
  Definition def;
  def.version = v.version;
  def.publishingState = v.requiresReview ? kSubmitted : kPublished;
  def.rsc = normalized(v.rsc);
  def.lastModified = v.now;
  def.id = definitionId(app->id, def.version, def.publishingState);
  app->definitions.push_back(def);
  return std::make_pair(app->id, def);
}

Result<std::pair<std::string, Definition>> TenantModel::review(const std::string& appRef,
                                                               const std::string& version,
                                                               const std::string& newState,
                                                               WallTime now) {
  std::unique_lock lock(mu_);
  App* app = findApp(appRef);
  if (!app) return noApp(appRef);
  for (auto& d : app->definitions) {
    if (!sameVersion(d.version, version)) continue;
    if (d.publishingState != kSubmitted) {
      return graphModelError(409, "Conflict",
                             "version " + version + " of " + app->displayName + " is " +
                                 d.publishingState +
                                 ", not submitted; only a submitted version "
                                 "can be approved or rejected");
    }
    d.publishingState = newState;
    d.lastModified = now;
    d.id = definitionId(app->id, d.version, d.publishingState);
    return std::make_pair(app->id, d);
  }
  return graphModelError(404, "NotFound", app->displayName + " has no version " + version);
}

Result<Installation> TenantModel::install(const std::string& teamId, const std::string& appRef,
                                          const std::optional<std::string>& version) {
  std::unique_lock lock(mu_);
  TeamSlot* slot = findTeam(teamId);
  if (!slot) return noTeam(teamId);
  const App* app = findApp(appRef);
  if (!app) return noApp(appRef);
  for (const auto& i : slot->installed) {
    if (i.teamsAppId == app->id) {
      return graphModelError(409, "Conflict",
                             app->displayName + " is already installed in team " + teamId);
    }
  }
  const Definition* def = version ? app->findVersion(*version) : app->latestPublished();
  if (!def) {
    return graphModelError(400, "BadRequest",
                           version ? app->displayName + " has no version " + *version
                                   : app->displayName + " has no published version");
  }
  if (def->publishingState != kPublished) {
    return graphModelError(400, "BadRequest",
                           "version " + def->version + " of " + app->displayName + " is " +
                               def->publishingState + "; only published versions can be installed");
  }
  Installation inst;
  inst.id = installationId(teamId, app->id);
  inst.teamId = teamId;
  inst.teamsAppId = app->id;
  inst.version = def->version;
  if (!def->rsc.empty()) inst.consented = def->rsc;
  installTeam_[inst.id] = teamIndex_.at(teamId);
  slot->installed.push_back(inst);
  return inst;
}

Status TenantModel::restoreInstallation(const Installation& saved) {
  std::unique_lock lock(mu_);
  TeamSlot* slot = findTeam(saved.teamId);
  if (!slot) return Error::invalidInput("installation for unknown team " + saved.teamId);
  const App* app = findApp(saved.teamsAppId);
  if (!app) return Error::invalidInput("installation of unknown app " + saved.teamsAppId);
  if (!app->findVersion(saved.version)) {
    return Error::invalidInput("installation of " + app->displayName + " at unknown version " +
                               saved.version);
  }
  for (const auto& i : slot->installed) {
    if (i.teamsAppId == app->id) {
      return Error::invalidInput(app->displayName + " is installed twice in team " + saved.teamId);
    }
  }
  Installation inst = saved;
  inst.teamsAppId = app->id;
  inst.id = installationId(inst.teamId, app->id);
  if (inst.consented) inst.consented = normalized(std::move(*inst.consented));
  installTeam_[inst.id] = teamIndex_.at(inst.teamId);
  slot->installed.push_back(std::move(inst));
  return Ok{};
}

Result<Installation> TenantModel::uninstall(const std::string& installationIdText,
                                            const std::string& teamId) {
  std::unique_lock lock(mu_);
  auto it = installTeam_.find(installationIdText);
  if (it == installTeam_.end() || (!teamId.empty() && teams_[it->second].team.id != teamId)) {
    return graphModelError(404, "NotFound",
                           "No app installation with id '" + installationIdText + "'" +
                               (teamId.empty() ? std::string() : " in team " + teamId));
  }
  auto& installed = teams_[it->second].installed;
  auto pos = std::find_if(installed.begin(), installed.end(),
                          [&](const Installation& i) { return i.id == installationIdText; });
  Installation removed = *pos;
  installed.erase(pos);
  installTeam_.erase(it);
  return removed;
}

}  // namespace appkeeper::emulator
