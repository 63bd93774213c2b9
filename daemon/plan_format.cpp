#include "daemon/plan_format.h"

#include "daemon/text_table.h"

namespace appkeeper::daemon {
namespace {

nlohmann::json permissionsJson(const std::vector<RscPermission>& perms) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : perms) {
    out.push_back({{"permissionValue", p.value}, {"permissionType", p.type}});
  }
  return out;
}

// "+A.Group (application), +B.Chat (delegated)"; empty for none.
std::string permissionList(const std::vector<RscPermission>& perms, const std::string& sign) {
  std::string out;
  for (const auto& p : perms)
    out += (out.empty() ? "" : ", ") + sign + p.value + " (" + p.type + ")";
  return out;
}

const char* sourceName(InstallationSource source) {
  return source == InstallationSource::kInventory ? "inventory" : "graph";
}

}  // namespace

nlohmann::json planToJson(const UpgradePreview& p, InstallationSource source) {
  nlohmann::json target = nullptr;
  if (p.target) {
    target = {{"id", p.target->id},
              {"version", p.target->version},
              {"rsc", permissionsJson(p.target->rsc)}};
  }
  nlohmann::json changes = nlohmann::json::array();
  for (const auto& c : p.changes) {
    changes.push_back({{"fromVersion", c.fromVersion},
                       {"installations", c.installations},
                       {"known", c.known},
                       {"added", permissionsJson(c.added)},
                       {"removed", permissionsJson(c.removed)}});
  }
  nlohmann::json installations = nlohmann::json::array();
  for (const auto& i : p.installations) {
    installations.push_back({{"teamId", i.installation.teamId},
                             {"installationId", i.installation.installationId},
                             {"version", i.installation.version},
                             {"action", toString(i.action)},
                             {"reason", i.reason}});
  }
  return {{"app", {{"id", p.appId}, {"externalId", p.externalId}, {"displayName", p.displayName}}},
          {"source", sourceName(source)},
          {"delegatedLogin", p.delegatedLogin},
          {"target", target},
          {"permissionChanges", changes},
          {"counts",
           {{"upgrade", p.upgrade},
            {"skip", p.skip},
            {"needsDelegatedConsent", p.needsDelegatedConsent}}},
          {"installations", installations}};
}

void writePlanText(std::ostream& out, const UpgradePreview& p, InstallationSource source) {
  out << "App:        " << (p.displayName.empty() ? p.appId : p.displayName) << " (" << p.appId
      << ")\n";
  if (!p.target) {
    out << "Target:     none: no version is published\n";
  } else {
    out << "Target:     " << p.target->version << '\n';
    out << "Target RSC: "
        << (p.target->rsc.empty() ? std::string("none") : permissionList(p.target->rsc, ""))
        << '\n';
  }
  out << "Sign-in:    "
      << (p.delegatedLogin ? "a delegated sign-in is usable"
                           : "no usable delegated sign-in (`appkeeper login`)")
      << '\n';
  out << "Source:     "
      << (source == InstallationSource::kInventory ? "the daemon's inventory"
                                                   : "Graph (every team, listed now)")
      << "\n\n";

  if (p.changes.empty()) {
    out << "No installations.\n";
    return;
  }
  out << "Permission changes by installed version:\n";
  TextTable changes({"FROM", "INSTALLATIONS", "ADDED", "REMOVED"});
  for (const auto& c : p.changes) {
    if (!c.known) {
      changes.addRow(
          {c.fromVersion, std::to_string(c.installations), "?", "? (version not in the catalog)"});
      continue;
    }
    changes.addRow({c.fromVersion, std::to_string(c.installations),
                    c.added.empty() ? "none" : permissionList(c.added, "+"),
                    c.removed.empty() ? "none" : permissionList(c.removed, "-")});
  }
  changes.write(out);
  out << '\n'
      << "Installations: " << p.upgrade << " to upgrade, " << p.skip << " to skip, "
      << p.needsDelegatedConsent << " need delegated consent\n";
  TextTable rows({"TEAM", "INSTALLATION", "VERSION", "ACTION", "REASON"});
  for (const auto& i : p.installations) {
    rows.addRow({i.installation.teamId, i.installation.installationId, i.installation.version,
                 toString(i.action), i.reason});
  }
  rows.write(out);
}

}  // namespace appkeeper::daemon
