#include "daemon/upgrade_preview.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/version.h"
#include "daemon/consent.h"

namespace appkeeper::daemon {
namespace {

std::vector<RscPermission> minus(const std::vector<RscPermission>& a,
                                 const std::vector<RscPermission>& b) {
  std::vector<RscPermission> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

const AppDefinition* definitionOf(const CatalogApp& app, const std::string& version) {
  const AppDefinition* found = nullptr;
  for (const auto& d : app.definitions) {
    if (d.version != version) continue;
    // Prefer the published one when a version also has a submitted/rejected twin.
    if (found == nullptr || d.publishingState == "published") found = &d;
  }
  return found;
}

// Version order, invalid versions last (by text), so the report reads oldest to newest.
bool versionLess(const std::string& a, const std::string& b) {
  auto cmp = compareVersions(a, b);
  if (cmp) return *cmp < 0;
  const bool aValid = isValidVersion(a), bValid = isValidVersion(b);
  if (aValid != bValid) return aValid;
  return a < b;
}

}  // namespace

const char* toString(PreviewAction action) {
  switch (action) {
    case PreviewAction::kUpgrade:
      return "upgrade";
    case PreviewAction::kSkip:
      return "skip";
    case PreviewAction::kNeedsDelegatedConsent:
      return "needs-delegated-consent";
  }
  return "upgrade";
}

UpgradePreview previewUpgrade(const CatalogApp& app,
                              const std::vector<TeamInstallation>& installations,
                              bool delegatedLoginAvailable) {
  UpgradePreview p;
  p.appId = app.id;
  p.externalId = app.externalId;
  p.displayName = app.displayName;
  p.delegatedLogin = delegatedLoginAvailable;
  if (const AppDefinition* latest = latestPublished(app)) {
    p.target = *latest;
    p.target->rsc = normalized(p.target->rsc);
  }

  std::vector<TeamInstallation> sorted = installations;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.teamId != b.teamId ? a.teamId < b.teamId : a.installationId < b.installationId;
  });
  std::map<std::string, size_t> perVersion;
  for (const auto& i : sorted) {
    ++perVersion[i.version];
    PreviewedInstallation item{i, PreviewAction::kUpgrade, {}};
    if (!p.target) {
      item.action = PreviewAction::kSkip;
      item.reason = "no published version to upgrade to";
    } else if (auto cmp = compareVersions(i.version, p.target->version); cmp && *cmp >= 0) {
      item.action = PreviewAction::kSkip;
      item.reason = "already current (" + i.version + ")";
    } else if (needsDelegatedToken(p.target->rsc) && !delegatedLoginAvailable) {
      item.action = PreviewAction::kNeedsDelegatedConsent;
      item.reason =
          "target needs resource-specific consent and no delegated sign-in is usable: "
          "run `appkeeper login`";
    } else {
      item.reason = (i.version.empty() ? std::string("?") : i.version) + " -> " +
                    p.target->version +
                    (needsDelegatedToken(p.target->rsc) ? " with the delegated sign-in" : "");
    }
    switch (item.action) {
      case PreviewAction::kUpgrade:
        ++p.upgrade;
        break;
      case PreviewAction::kSkip:
        ++p.skip;
        break;
      case PreviewAction::kNeedsDelegatedConsent:
        ++p.needsDelegatedConsent;
        break;
    }
    p.installations.push_back(std::move(item));
  }

  std::vector<std::string> versions;
  for (const auto& [version, count] : perVersion) versions.push_back(version);
  std::sort(versions.begin(), versions.end(), versionLess);
  for (const auto& version : versions) {
    PermissionChange change;
    change.fromVersion = version;
    change.installations = perVersion[version];
    const AppDefinition* installed = definitionOf(app, version);
    if (installed == nullptr || !p.target) {
      change.known = false;
    } else {
      const auto from = normalized(installed->rsc);
      change.added = minus(p.target->rsc, from);
      change.removed = minus(from, p.target->rsc);
    }
    p.changes.push_back(std::move(change));
  }
  return p;
}

}  // namespace appkeeper::daemon
