// POST /events/catalog: "a new version of an app was published" events from the publishing
// pipeline, signed per Standard Webhooks (standard_webhooks.h).
//
// The body is {"type":"teamsApp.published","timestamp":"<RFC 3339>","data":{"tenantId":"..",
// "teamsAppId":"..","version":"1.4.0"}}, with "externalId" (the manifest id) allowed instead of
// "teamsAppId". handleCatalogEvent verifies the signature (401), validates the body (400),
// then persists it with its audit record, deduplicated on webhook-id: 202 when new, 200 when the
// id was seen before (acknowledged, not acted on again). Every rejection is audited.
//
// Borrows the key, store and logger for the call only; one store connection per calling
// thread. Never throws. A store that cannot keep the event gives 503 + Retry-After.
#pragma once

#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"
#include "handlers/inbound_request.h"
#include "handlers/standard_webhooks.h"
#include "store/store.h"

namespace spdlog {
class logger;
}

namespace appkeeper::handlers {

inline constexpr std::string_view kPublishedEventType = "teamsApp.published";
inline constexpr size_t kMaxAppIdLength = 256;

struct CatalogEvent {
  std::string timestamp;
  std::string tenantId;
  std::string teamsAppId;  // the catalog id, or empty when the event names the externalId
  std::string externalId;  // the manifest id, or empty
  std::string version;
};

// kInvalidInput with a message naming the offending field ("data.version is not a valid
// version: x") when the body is not a publish event for `tenantId`.
Result<CatalogEvent> parseCatalogEvent(std::string_view body, std::string_view tenantId);

class InboundWriter;

struct CatalogEventContext {
  const WebhookKey* key = nullptr;  // nullptr: no secret configured, every event is refused
  std::string tenantId;
  WallTime now;
  // Set: the event is persisted through it (group commit, inbound_writer.h), not by `store`.
  InboundWriter* writer = nullptr;
};

InboundResponse handleCatalogEvent(const InboundRequest& request, const CatalogEventContext& ctx,
                                   store::Store& store, spdlog::logger& logger);
// The same with every write (the event, or a rejection's audit record) through ctx.writer and
// no store connection at all (the Router's group-commit path). ctx.writer must be set (503
// otherwise).
InboundResponse handleCatalogEvent(const InboundRequest& request, const CatalogEventContext& ctx,
                                   spdlog::logger& logger);

}  // namespace appkeeper::handlers
