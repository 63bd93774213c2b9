#include "emulator/seed.h"

#include <array>
#include <string>
#include <vector>

#include "emulator/ids.h"
#include "emulator/prng.h"

namespace appkeeper::emulator {
namespace {

// 2024-01-15T09:00:00Z: seeded definitions look "last modified" some days after it.
constexpr int64_t kSeedEpochMillis = 1'705'309'200'000;

struct VersionSpec {
  const char* version;
  std::vector<RscPermission> rsc;
};

struct AppSpec {
  const char* displayName;
  const char* distribution;
  const char* description;
  std::vector<VersionSpec> versions;
  double installShare;  // fraction of teams that have it
  double latestShare;   // of those, fraction already at the latest version
};

std::vector<AppSpec> catalogSpec() {
  const RscPermission msgRead{"ChannelMessage.Read.Group", "application"};
  const RscPermission settingsRead{"TeamSettings.Read.Group", "application"};
  const RscPermission channelSettings{"ChannelSettings.Read.Group", "application"};
  const RscPermission meetingRead{"ChannelMeeting.ReadBasic.Group", "delegated"};
  const RscPermission stageWrite{"ChannelMeetingStage.Write.Group", "delegated"};
  return {
      {kTasksApp,
       "organization",
       "Track the team's tasks.",
       {{"1.0.0", {}}, {"1.1.0", {}}, {"1.2.0", {}}, {"2.0.0", {}}},
       0.9,
       0.08},
      {kInsightsApp,
       "organization",
       "Channel analytics for team owners.",
       {{"1.0.0", {msgRead}},
        {"1.1.0", {msgRead, settingsRead}},
        {"1.2.0", {msgRead, settingsRead, channelSettings}}},
       0.4,
       0.1},
      {kNotesApp,
       "organization",
       "Shared meeting notes.",
       {{"1.0.0", {meetingRead}}, {"1.3.0", {meetingRead, stageWrite}}},
       0.3,
       0.2},
      {"Contoso Polls", "organization", "Quick polls in channels.", {{"1.0.0", {}}}, 0.25, 1.0},
      {"Fabrikam Timesheets",
       "organization",
       "Log hours from Teams.",
       {{"3.1.0", {}}, {"3.2.0", {}}},
       0.2,
       0.5},
      {"Northwind Store Connector",
       "store",
       "Northwind's connector from the Teams store.",
       {{"1.4.0", {}}},
       0.15,
       1.0},
  };
}

constexpr std::array<const char*, 10> kDepartments = {
    "Sales",   "Marketing",  "Engineering", "Finance", "Legal",
    "Support", "Operations", "Research",    "Design",  "People"};
constexpr std::array<const char*, 12> kProjects = {"Aurora",  "Borealis", "Cascade",  "Delta",
                                                   "Everest", "Falcon",   "Granite",  "Horizon",
                                                   "Ion",     "Juniper",  "Keystone", "Lumen"};

bool chance(SplitMix64& rng, double p) { return rng.unit() < p; }

}  // namespace

Status seedTenant(TenantModel& model, const SeedOptions& options) {
  SplitMix64 rng(options.seed);
  const auto specs = catalogSpec();
  std::vector<App> apps;
  for (size_t a = 0; a < specs.size(); ++a) {
    const auto& spec = specs[a];
    App app;
    const std::string manifestId = newGuid(rng);
    const std::string catalogId = newGuid(rng);
    const bool store = std::string(spec.distribution) == "store";
    // Store apps keep their manifest id as catalog id and have no externalId (§1.1).
    app.id = store ? manifestId : catalogId;
    app.externalId = store ? std::string() : manifestId;
    app.displayName = spec.displayName;
    app.distributionMethod = spec.distribution;
    app.shortDescription = spec.description;
    for (size_t v = 0; v < spec.versions.size(); ++v) {
      Definition d;
      d.version = spec.versions[v].version;
      d.publishingState = kPublished;
      d.rsc = spec.versions[v].rsc;
      d.lastModified =
          fromUnixMillis(kSeedEpochMillis + static_cast<int64_t>(a * 7 + v * 30) * 86'400'000);
      app.definitions.push_back(std::move(d));
    }
    apps.push_back(app);
    if (auto s = model.addApp(std::move(app)); !s) return s.error();
  }

  for (size_t t = 0; t < options.teams; ++t) {
    Team team;
    team.id = newGuid(rng);
    const char* dept = kDepartments[rng.below(kDepartments.size())];
    const char* project = kProjects[rng.below(kProjects.size())];
    team.displayName = std::string(dept) + " " + project + " " + std::to_string(t + 1);
    team.description = "The " + std::string(dept) + " team working on " + project + ".";
    team.visibility = chance(rng, 0.75) ? "private" : "public";
    const std::string teamId = team.id;
    if (auto s = model.addTeam(std::move(team)); !s) return s.error();

    for (size_t a = 0; a < specs.size(); ++a) {
      const auto& spec = specs[a];
      // Both draws happen for every team and app, so one app's share never shifts another's.
      const bool installed = chance(rng, spec.installShare);
      const bool atLatest = chance(rng, spec.latestShare);
      const uint64_t older = rng.below(spec.versions.size() > 1 ? spec.versions.size() - 1 : 1);
      if (!installed) continue;
      const size_t index = atLatest || spec.versions.size() == 1 ? spec.versions.size() - 1
                                                                 : static_cast<size_t>(older);
      auto inst = model.install(teamId, apps[a].id, std::string(spec.versions[index].version));
      if (!inst) return inst.error();
    }
  }
  return Ok{};
}

}  // namespace appkeeper::emulator
