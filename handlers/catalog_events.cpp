#include "handlers/catalog_events.h"

#include <spdlog/spdlog.h>

#include "common/version.h"
#include "handlers/inbound_writer.h"
#include "handlers/responses.h"
#include "handlers/rfc3339.h"
#include "nlohmann/json.hpp"

namespace appkeeper::handlers {
namespace {

constexpr char kCatalogAuditEvent[] = "catalog-event";

bool saneId(const std::string& s) {
  if (s.empty() || s.size() > kMaxAppIdLength) return false;
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// Records a refused event, through the writer when there is one (group-committed: a flood of
// forged events costs no transaction each and never takes the write lock from the writer). A
// failing audit write does not change the answer (the sender is still wrong), but it is logged.
void auditRejection(store::Store* store, InboundWriter* writer, spdlog::logger& logger,
                    std::string_view webhookId, const std::string& reason) {
  store::AuditRecord audit;
  audit.event = kCatalogAuditEvent;
  audit.outcome = "rejected";
  audit.detail = reason + (webhookId.empty() ? "" : " (webhook-id " + clip(webhookId) + ")");
  Status st = writer != nullptr  ? writer->appendAudits({audit})
              : store != nullptr ? store->appendAudit(audit)
                                 : Status(Error::internal("no store to audit with (a bug)"));
  if (!st) {
    logger.error("catalog event: could not audit a rejection ({}): {}", toString(st.error().kind),
                 st.error().message);
  }
}

InboundResponse handleCatalogEventWith(const InboundRequest& request,
                                       const CatalogEventContext& ctx, store::Store* store,
                                       spdlog::logger& logger);

}  // namespace

Result<CatalogEvent> parseCatalogEvent(std::string_view body, std::string_view tenantId) {
  auto doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Error::invalidInput("body is not valid JSON");
  if (!doc.is_object()) return Error::invalidInput("body is not a JSON object");

  auto type = doc.find("type");
  if (type == doc.end() || !type->is_string()) {
    return Error::invalidInput("type is missing or not a string");
  }
  // Other event types are refused (400) rather than acknowledged and dropped: the body is signed,
  // so a sender of unknown types is our own pipeline misconfigured, and a 202 would hide that.
  if (type->get_ref<const std::string&>() != kPublishedEventType) {
    return Error::invalidInput("unsupported event type: " + clip(type->get<std::string>()) +
                               " (only teamsApp.published is handled)");
  }

  CatalogEvent event;
  auto timestamp = doc.find("timestamp");
  if (timestamp == doc.end() || !timestamp->is_string()) {
    return Error::invalidInput("timestamp is missing or not a string");
  }
  event.timestamp = timestamp->get<std::string>();
  if (!isRfc3339DateTime(event.timestamp)) {
    return Error::invalidInput("timestamp is not an RFC 3339 date-time: " + clip(event.timestamp));
  }

  auto data = doc.find("data");
  if (data == doc.end() || !data->is_object()) {
    return Error::invalidInput("data is missing or not an object");
  }
  auto tenant = data->find("tenantId");
  if (tenant == data->end() || !tenant->is_string()) {
    return Error::invalidInput("data.tenantId is missing or not a string");
  }
  event.tenantId = tenant->get<std::string>();
  if (event.tenantId != tenantId) {
    return Error::invalidInput("data.tenantId is not the tenant this server manages");
  }

  auto appId = data->find("teamsAppId");
  auto externalId = data->find("externalId");
  if ((appId == data->end()) == (externalId == data->end())) {
    return Error::invalidInput("data must have exactly one of teamsAppId and externalId");
  }
  auto idField = appId != data->end() ? appId : externalId;
  const char* idName = appId != data->end() ? "data.teamsAppId" : "data.externalId";
  if (!idField->is_string() || !saneId(idField->get_ref<const std::string&>())) {
    return Error::invalidInput(std::string(idName) +
                               " must be a non-empty string of at most 256 printable characters");
  }
  (appId != data->end() ? event.teamsAppId : event.externalId) = idField->get<std::string>();

  auto version = data->find("version");
  if (version == data->end() || !version->is_string()) {
    return Error::invalidInput("data.version is missing or not a string");
  }
  event.version = version->get<std::string>();
  if (!isValidVersion(event.version)) {
    return Error::invalidInput("data.version is not a valid version: " + clip(event.version));
  }
  return event;
}

InboundResponse handleCatalogEvent(const InboundRequest& request, const CatalogEventContext& ctx,
                                   store::Store& store, spdlog::logger& logger) {
  return handleCatalogEventWith(request, ctx, &store, logger);
}

InboundResponse handleCatalogEvent(const InboundRequest& request, const CatalogEventContext& ctx,
                                   spdlog::logger& logger) {
  return handleCatalogEventWith(request, ctx, nullptr, logger);
}

namespace {

InboundResponse handleCatalogEventWith(const InboundRequest& request,
                                       const CatalogEventContext& ctx, store::Store* store,
                                       spdlog::logger& logger) {
  const std::string_view webhookId = request.header("webhook-id").value_or("");
  if (ctx.key == nullptr) {
    logger.warn("catalog event refused: no catalog secret is configured");
    auditRejection(store, ctx.writer, logger, webhookId, "no catalog secret configured");
    return errorResponse(401, "unauthorized", "catalog events are not enabled on this server");
  }
  SignedDelivery delivery{request.header("webhook-id"), request.header("webhook-timestamp"),
                          request.header("webhook-signature"), request.body};
  if (auto verified = verifyStandardWebhook(*ctx.key, delivery, ctx.now); !verified) {
    logger.warn("catalog event refused: {}", verified.error().message);
    auditRejection(store, ctx.writer, logger, webhookId, verified.error().message);
    return errorResponse(401, "unauthorized", verified.error().message);
  }

  auto event = parseCatalogEvent(request.body, ctx.tenantId);
  if (!event) {
    logger.warn("catalog event refused: {}", event.error().message);
    auditRejection(store, ctx.writer, logger, webhookId, event.error().message);
    return errorResponse(400, "badRequest", event.error().message);
  }

  store::AuditRecord audit;
  audit.event = kCatalogAuditEvent;
  audit.outcome = "accepted";
  audit.tenantId = event->tenantId;
  audit.teamsAppId = event->teamsAppId;
  audit.toVersion = event->version;
  audit.detail = "webhook-id " + clip(webhookId) +
                 (event->externalId.empty() ? "" : ", externalId " + event->externalId);
  if (ctx.writer == nullptr && store == nullptr) {
    logger.error("catalog event: neither a store nor a writer to persist with (a bug)");
    return unavailableResponse("the event could not be stored; retry later");
  }
  auto isNew = ctx.writer != nullptr
                   ? ctx.writer->acceptCatalogEvent(std::string(webhookId), request.body, audit)
                   : store->acceptCatalogEvent(std::string(webhookId), request.body, audit);
  if (!isNew) {
    logger.error("catalog event: could not persist ({}): {}", toString(isNew.error().kind),
                 isNew.error().message);
    return unavailableResponse("the event could not be stored; retry later");
  }
  if (!*isNew) {
    // Senders retry with the same webhook-id: acknowledge so they stop, act only once.
    logger.debug("catalog event {} is a duplicate: acknowledged, not acted on", clip(webhookId));
    return emptyResponse(200);
  }
  // Debug, not info: the audit log records every event, and the planner logs what it plans at
  // info (one line per batch in a flood, where a line per event cost a thirtieth of the CPU).
  logger.debug("catalog event {} accepted: {} {}", clip(webhookId),
              event->teamsAppId.empty() ? event->externalId : event->teamsAppId, event->version);
  return emptyResponse(202);
}

}  // namespace

}  // namespace appkeeper::handlers
