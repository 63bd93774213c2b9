// TenantModel: the emulated tenant's state — teams, the app catalog (apps and their versioned
// definitions) and team installations — and the operations on it, with no HTTP in sight.
// Rules enforced here: the latest version is the newest *published* definition (Decision 1),
// the upgrade rules of Decisions 2-4, ids per Decision 5 (shared/graph-api.md).
//
// Thread-safety: every member is thread-safe; one std::shared_mutex guards the state (readers
// share it). Readers get copies, so callers build JSON without holding the lock. Nothing here
// calls out (change notifications are the caller's job, after the call returns).
// Errors: Result<T> whose Error carries httpStatus, code and innerCode as Graph would answer
// them (404 NotFound, 400 BadRequest/InvalidRequest, 403 Forbidden/AccessDenied, 409 Conflict),
// so routes answer them unchanged. Nothing throws except std::bad_alloc.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "common/teams_types.h"

namespace appkeeper::emulator {

struct Team {
  std::string id;
  std::string displayName;
  std::string description;
  std::string visibility;  // "public" | "private"
};

inline constexpr const char* kPublished = "published";
inline constexpr const char* kSubmitted = "submitted";
inline constexpr const char* kRejected = "rejected";

struct Definition {
  std::string id;  // base64(appId##version##State): changes with the publishing state
  std::string version;
  std::string publishingState;     // kPublished | kSubmitted | kRejected
  std::vector<RscPermission> rsc;  // normalized (sorted, unique)
  WallTime lastModified{};
};

struct App {
  std::string id;          // catalog id
  std::string externalId;  // manifest id; empty for store apps
  std::string displayName;
  std::string distributionMethod;  // "organization" | "store" | "sideloaded"
  std::string shortDescription;
  std::vector<Definition> definitions;  // ascending by version

  const Definition* latestPublished() const;
  const Definition* findVersion(const std::string& version) const;
};

struct Installation {
  std::string id;  // base64(teamId##teamsAppId)
  std::string teamId;
  std::string teamsAppId;
  std::string version;
  std::optional<std::vector<RscPermission>> consented;  // nullopt: nothing consented (no RSC)
  int64_t upgrades = 0;                                 // upgrade calls that changed the version
  int64_t noopUpgrades = 0;  // upgrade calls on an installation already at the latest version
};

// An installation with copies of what $expand can show: its app (without definitions) and the
// installed definition.
struct InstalledApp {
  Installation installation;
  App app;
  Definition definition;
};

struct TeamPage {
  std::vector<Team> items;
  bool more = false;  // matches exist after this page
};

struct UpgradeRequest {
  std::string teamId;
  std::string installationId;
  std::optional<std::vector<RscPermission>>
      consent;  // nullopt: the body had no consentedPermissionSet
  bool appOnlyToken = true;
  bool allowAppOnlyRsc = false;  // Decision 3 switch
  // Delegated tokens: false when the caller's only upgrade permissions are
  // TeamsAppInstallation.ReadWrite(Self)ForTeam, which cannot consent to RSC (§2.5).
  bool delegatedMayConsent = true;
};

struct UpgradeOutcome {
  bool changed = false;  // false: already current (Decision 2), counted as a no-op
  std::string teamId;
  std::string teamsAppId;
  std::string installationId;
  std::string fromVersion;
  std::string toVersion;
};

struct NewVersion {
  std::string version;
  std::vector<RscPermission> rsc;
  bool requiresReview = false;  // true: "submitted" until approved
  WallTime now{};
};

class TenantModel {
 public:
  explicit TenantModel(std::string tenantId);
  TenantModel(const TenantModel&) = delete;
  TenantModel& operator=(const TenantModel&) = delete;

  const std::string& tenantId() const { return tenantId_; }

  // Building (seed, scenario, state file). Teams keep the order they were added in.
  Status addTeam(Team team);
  // Definition ids are (re)computed here; versions must be valid and distinct.
  Status addApp(App app);

  // Teams.
  size_t teamCount() const;
  std::optional<Team> team(const std::string& teamId) const;
  // The matches [offset, offset+limit) in insertion order; `match` null means all.
  TeamPage teams(const std::function<bool(const Team&)>& match, size_t offset, size_t limit) const;

  // Catalog. `ref` is a catalog id or an externalId.
  std::vector<App> catalog() const;
  std::optional<App> app(const std::string& ref) const;

  // Installations of one team (404 NotFound when the team does not exist).
  Result<std::vector<InstalledApp>> installedApps(const std::string& teamId) const;
  Result<InstalledApp> installedApp(const std::string& teamId,
                                    const std::string& installationId) const;
  // Every installation, optionally of one app (`appRef`, 404 if unknown) and/or one team.
  Result<std::vector<Installation>> installations(const std::string& appRef,
                                                  const std::string& teamId) const;
  // (appId, version) -> installations at that version.
  std::map<std::pair<std::string, std::string>, int64_t> installCounts() const;

  // Graph: POST .../installedApps/{id}/upgrade. Checks, in order: team and installation exist
  // (404); an app-only token may not upgrade to a definition with any RSC permission unless
  // allowed (403, Decision 3); the consent equals the target's RSC set, and may be omitted
  // only when that set has no application permission (400, Decision 4); then moves to the
  // latest published definition, or counts a no-op when already there (Decision 2).
  Result<UpgradeOutcome> upgrade(const UpgradeRequest& request);

  // Control API.
  Result<std::pair<std::string, Definition>> addVersion(const std::string& appRef,
                                                        const NewVersion& v);  // (appId, def)
  // submitted -> published|rejected (409 from any other state).
  Result<std::pair<std::string, Definition>> review(const std::string& appRef,
                                                    const std::string& version,
                                                    const std::string& newState, WallTime now);
  // Installs at `version` (default: latest published; must be published). 409 when the app is
  // already installed in the team. The consent recorded is the definition's RSC set.
  Result<Installation> install(const std::string& teamId, const std::string& appRef,
                               const std::optional<std::string>& version);
  // Restores an installation as saved (state file); counters included.
  Status restoreInstallation(const Installation& installation);
  // `teamId` may be empty (the id names the team). Returns what was removed.
  Result<Installation> uninstall(const std::string& installationId, const std::string& teamId);

 private:
  struct TeamSlot {
    Team team;
    std::vector<Installation> installed;
  };
  const App* findApp(const std::string& ref) const;           // requires mu_
  App* findApp(const std::string& ref);                       // requires mu_
  const TeamSlot* findTeam(const std::string& teamId) const;  // requires mu_
  TeamSlot* findTeam(const std::string& teamId);              // requires mu_
  InstalledApp expand(const Installation& inst) const;        // requires mu_

  const std::string tenantId_;
  mutable std::shared_mutex mu_;
  std::vector<TeamSlot> teams_;                          // guarded by mu_
  std::unordered_map<std::string, size_t> teamIndex_;    // guarded by mu_
  std::vector<App> apps_;                                // guarded by mu_
  std::unordered_map<std::string, size_t> appIndex_;     // id and externalId; guarded by mu_
  std::unordered_map<std::string, size_t> installTeam_;  // installation id -> team; guarded by mu_
};

// An Error as Graph answers it (status, code, inner code).
Error graphModelError(int httpStatus, std::string code, std::string message,
                      std::string innerCode = "");

}  // namespace appkeeper::emulator
