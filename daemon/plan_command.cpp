// `appkeeper plan --app ID`: a dry run. Resolves the app through Graph (app-only token), takes
// the installations from the daemon's inventory when a full scan has filled it for this app,
// else lists every team's installations live, and prints the UpgradePreview. Never writes: the
// store is opened read-only (and not at all when the database does not exist yet), nothing is
// enqueued, no upgrade is sent.
#include <filesystem>
#include <memory>

#include "daemon/commands.h"
#include "daemon/credential_vault.h"
#include "daemon/graph_connection.h"
#include "daemon/plan_format.h"
#include "daemon/upgrade_preview.h"
#include "graph/graph_client.h"
#include "store/store.h"

namespace appkeeper::daemon {
namespace {

Result<std::vector<TeamInstallation>> listLive(graph::GraphClient& graph,
                                               const std::string& tenantId,
                                               const std::string& teamsAppId) {
  std::vector<TeamInstallation> found;
  std::optional<Error> failed;
  auto paged = graph.forEachTeamPage([&](const std::vector<std::string>& teamIds) {
    for (const auto& team : teamIds) {
      auto installed = graph.listTeamInstallations(team, teamsAppId);
      if (!installed) {
        failed = installed.error();
        failed->message = "listing the installations of team " + team + ": " + failed->message;
        return false;
      }
      for (auto& i : *installed) {
        if (i.tenantId.empty()) i.tenantId = tenantId;
        found.push_back(std::move(i));
      }
    }
    return true;
  });
  if (failed) return *failed;
  if (!paged) return paged.error();
  return found;
}

bool delegatedLoginUsable(const Config& config, store::Store* store) {
  if (!config.delegated.enabled() || store == nullptr) return false;
  auto credential = store->delegatedCredential();
  if (!credential || !*credential || !(*credential)->invalidReason.empty()) return false;
  return openSecret(config.delegated.key, (*credential)->sealed).ok();
}

}  // namespace

int runPlan(const CommandLine& cl, const Environment& env, const Clock& clock, std::ostream& out,
            std::ostream& err) {
  auto config = loadConfig(cl.store.configPath, env,
                           ConfigLoadOptions{.forServe = true, .needsCatalogSecret = false});
  if (!config) {
    err << "appkeeper: " << config.error().message << '\n';
    return kExitUsage;
  }
  std::unique_ptr<store::Store> store;
  std::error_code ec;
  if (std::filesystem::exists(config->store.path, ec)) {
    auto opened = store::Store::open(config->store.path, clock, store::OpenMode::kReadOnly);
    if (!opened) {
      err << "appkeeper: cannot open the database " << config->store.path
          << " read-only: " << opened.error().message << '\n';
      return kExitFailure;
    }
    store = std::move(*opened);
  }

  GraphConnection graph(*config, clock);
  auto app = graph.client->getCatalogApp(cl.plan.app);
  if (!app) {
    err << "appkeeper: cannot read app " << cl.plan.app
        << " from the catalog: " << app.error().message << '\n';
    return kExitFailure;
  }
  const std::string& tenantId = config->graph.tenantId;
  InstallationSource source = InstallationSource::kGraph;
  std::vector<TeamInstallation> installations;
  if (store) {
    auto scanned = store->inventoryScanned(tenantId, app->id);
    if (!scanned) {
      err << "appkeeper: cannot read the inventory: " << scanned.error().message << '\n';
      return kExitFailure;
    }
    if (*scanned) {
      auto rows = store->installationsOfApp(tenantId, app->id);
      if (!rows) {
        err << "appkeeper: cannot read the inventory: " << rows.error().message << '\n';
        return kExitFailure;
      }
      installations = std::move(*rows);
      source = InstallationSource::kInventory;
    }
  }
  if (source == InstallationSource::kGraph) {
    auto live = listLive(*graph.client, tenantId, app->id);
    if (!live) {
      err << "appkeeper: cannot list the installations of " << app->displayName << ": "
          << live.error().message << '\n';
      return kExitFailure;
    }
    installations = std::move(*live);
  }

  const UpgradePreview preview =
      previewUpgrade(*app, installations, delegatedLoginUsable(*config, store.get()));
  if (cl.plan.format == ReportFormat::kJson) {
    out << planToJson(preview, source).dump(2) << '\n';
  } else {
    writePlanText(out, preview, source);
  }
  out.flush();
  return out ? kExitOk : kExitFailure;
}

}  // namespace appkeeper::daemon
