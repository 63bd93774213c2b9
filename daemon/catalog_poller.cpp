#include "daemon/catalog_poller.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "daemon/time_text.h"

namespace appkeeper::daemon {

std::string publishEventPayload(const std::string& tenantId, const std::string& teamsAppId,
                                const std::string& version, WallTime at) {
  // Same shape as a signed publish event (handlers/catalog_events.h), so the planner cannot
  // tell them apart and plans both the same way.
  nlohmann::json event = {
      {"type", "teamsApp.published"},
      {"timestamp", formatRfc3339(at)},
      {"data", {{"tenantId", tenantId}, {"teamsAppId", teamsAppId}, {"version", version}}}};
  return event.dump();
}

CatalogPoller::CatalogPoller(std::string tenantId, store::Store& store, const Clock& clock,
                             std::shared_ptr<spdlog::logger> logger)
    : tenantId_(std::move(tenantId)), store_(store), clock_(clock), logger_(std::move(logger)) {}

Result<size_t> CatalogPoller::pollOnce(const WatchedApps& watched, bool baseline) {
  size_t queued = 0;
  for (const auto& app : watched.apps) {
    const AppDefinition* latest = latestPublished(app);
    if (latest == nullptr) continue;
    auto newer = store_.noteCatalogVersion(tenantId_, app.id, latest->version);
    if (!newer) return newer.error();
    if (!*newer || baseline) continue;
    store::AuditRecord audit;
    audit.event = kEventCatalogPoll;
    audit.outcome = "accepted";
    audit.tenantId = tenantId_;
    audit.teamsAppId = app.id;
    audit.toVersion = latest->version;
    audit.detail = "the catalog poll found version " + latest->version + " of " +
                   (app.displayName.empty() ? app.id : app.displayName) +
                   " that no publish event announced";
    auto id = store_.enqueueInbox(
        "catalog-event", publishEventPayload(tenantId_, app.id, latest->version, clock_.now()),
        audit);
    if (!id) return id.error();
    ++queued;
    logger_->info("{}; planning it (inbox item {})", audit.detail, *id);
  }
  logger_->info("catalog poll: {} watched apps checked, {} new versions{}", watched.apps.size(),
                queued, baseline ? " (first poll: versions recorded as the baseline)" : "");
  return queued;
}

}  // namespace appkeeper::daemon
