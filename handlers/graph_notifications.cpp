#include "handlers/graph_notifications.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "handlers/client_state_cache.h"
#include "handlers/hmac.h"
#include "handlers/inbound_writer.h"
#include "handlers/responses.h"

namespace appkeeper::handlers {
namespace {

constexpr char kNotificationAuditEvent[] = "graph-notification";

std::string stringField(const nlohmann::json& item, const char* name) {
  auto it = item.find(name);
  return it != item.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool consumeIgnoreCase(std::string_view& s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(s[i]) != lower(prefix[i])) return false;
  }
  s.remove_prefix(prefix.size());
  return true;
}

// One key segment: "('value')" (OData key syntax) or "/value".
bool consumeKey(std::string_view& s, std::string& out) {
  if (s.substr(0, 2) == "('") {
    auto end = s.find("')", 2);
    if (end == std::string_view::npos) return false;
    out = std::string(s.substr(2, end - 2));
    s.remove_prefix(end + 2);
  } else if (s.substr(0, 1) == "/") {
    s.remove_prefix(1);
    auto end = s.find('/');
    out = std::string(s.substr(0, end));
    s = end == std::string_view::npos ? std::string_view() : s.substr(end);
  } else {
    return false;
  }
  return !out.empty();
}

// How deep arrays and objects nest in `text` (brackets inside strings do not count), counted up
// to `limit` + 1. Not a validator: the parser refuses what is not JSON.
int nestingDepth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (inString) {
      if (c == '\\') {
        ++i;  // the escaped character, a quote included
      } else if (c == '"') {
        inString = false;
      }
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

// What the planner will act on, for the audit: the change type or the lifecycle event.
std::string describe(const nlohmann::json& item, const std::string& subscriptionId) {
  std::string what = stringField(item, "lifecycleEvent");
  what = what.empty() ? "changeType " + clip(stringField(item, "changeType"))
                      : "lifecycleEvent " + clip(what);
  return what + " (subscription " + clip(subscriptionId) + ")";
}

}  // namespace

std::optional<InboundResponse> validationHandshake(const InboundRequest& request) {
  auto it = request.query.find("validationToken");
  if (it == request.query.end()) return std::nullopt;
  const std::string& token = it->second;
  if (token.empty()) return errorResponse(400, "badRequest", "validationToken is empty");
  if (token.size() > kMaxValidationTokenBytes) {
    return errorResponse(400, "badRequest", "validationToken is longer than 1024 bytes");
  }
  // The token is opaque and echoed byte for byte (Graph compares it exactly). As text/plain with
  // nosniff a browser never renders it, so even markup in it stays inert.
  InboundResponse r;
  r.status = 200;
  r.contentType = "text/plain; charset=utf-8";
  r.body = token;
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

Result<std::vector<nlohmann::json>> parseNotificationBatch(std::string_view body) {
  // Deeper values are dropped while parsing and the body refused: copying or serialising JSON
  // recurses once per level, so an accepted item holding a 100k-deep array (200 KB) would
  // overflow the server thread's stack. Graph's own payloads are a few levels deep.
  // The depth is counted by a scan before parsing: a parser callback that drops deep values
  // made every parse several times slower (a tenth of the notification route's CPU).
  constexpr int kMaxDepth = 64;
  if (nestingDepth(body, kMaxDepth) > kMaxDepth) {
    // A validating pass without a document (no recursion), so that what is not JSON at all
    // still gets that answer.
    if (!nlohmann::json::accept(body)) return Error::invalidInput("body is not valid JSON");
    return Error::invalidInput("body is nested deeper than 64 levels");
  }
  auto doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Error::invalidInput("body is not valid JSON");
  if (!doc.is_object()) return Error::invalidInput("body is not a JSON object");
  auto value = doc.find("value");
  if (value == doc.end() || !value->is_array()) {
    return Error::invalidInput("value is missing or not an array");
  }
  std::vector<nlohmann::json> items;
  items.reserve(value->size());
  for (size_t i = 0; i < value->size(); ++i) {
    if (!(*value)[i].is_object()) {
      return Error::invalidInput("value[" + std::to_string(i) + "] is not an object");
    }
    items.push_back(std::move((*value)[i]));
  }
  return items;
}

InstallationRef parseInstallationResource(std::string_view resource) {
  InstallationRef ref;
  if (resource.substr(0, 1) == "/") resource.remove_prefix(1);
  if (!consumeIgnoreCase(resource, "appCatalogs/teamsApps")) return {};
  if (!consumeKey(resource, ref.teamsAppId)) return {};
  if (consumeIgnoreCase(resource, "/installations")) {
    if (!consumeKey(resource, ref.installationId)) ref.installationId.clear();
  }
  return ref;
}

namespace {

// The clientStates of subscriptions being created (their Graph id is not known yet).
Result<std::vector<std::string>> pendingClientStates(store::Store& store) {
  auto all = store.subscriptions();
  if (!all) return all.error();
  std::vector<std::string> states;
  for (const auto& s : *all) {
    if (std::string_view(s.id).substr(0, kPendingSubscriptionPrefix.size()) ==
        kPendingSubscriptionPrefix) {
      states.push_back(s.clientState);
    }
  }
  return states;
}

// The clientState of the stored subscription `id` (nullopt: none), from `cache` when it has it.
Result<std::optional<std::string>> storedClientState(store::Store& store, ClientStateCache* cache,
                                                     const std::string& id) {
  if (cache) {
    if (auto cached = cache->find(id)) return cached;
  }
  const uint64_t version = store::Store::subscriptionsVersion();  // before the read
  auto sub = store.subscription(id);
  if (!sub) return sub.error();
  if (!sub->has_value()) return std::optional<std::string>();
  if (cache) cache->remember(id, (*sub)->clientState, version);
  return std::optional<std::string>((*sub)->clientState);
}

// A store that cannot answer: 503, so that Graph retries the delivery.
CheckedGraphDelivery storeFailed(CheckedGraphDelivery checked, spdlog::logger& logger,
                                 const Error& error) {
  logger.error("graph notifications: subscription lookup failed ({}): {}", toString(error.kind),
               error.message);
  checked.answer = unavailableResponse("the notification could not be stored; retry later");
  return checked;
}

}  // namespace

CheckedGraphDelivery checkGraphDelivery(const InboundRequest& request, store::Store& store,
                                        spdlog::logger& logger, GraphDeliveryRoute route,
                                        ClientStateCache* cache) {
  const char* event =
      route == GraphDeliveryRoute::kLifecycle ? kLifecycleAuditEvent : kNotificationAuditEvent;
  CheckedGraphDelivery checked;
  checked.event = event;
  auto batch = parseNotificationBatch(request.body);
  if (!batch) {
    checked.answer = errorResponse(400, "badRequest", batch.error().message);
    return checked;
  }

  // One lookup per distinct subscription: a delivery often batches many items of one.
  // nullopt = no such subscription.
  std::map<std::string, std::optional<std::string>> clientStates;
  std::optional<std::vector<std::string>> pending;  // read once, only when needed
  std::vector<size_t> accepted;                     // indexes into *batch
  std::vector<store::AuditRecord> audits;
  audits.reserve(batch->size());

  for (size_t index = 0; index < batch->size(); ++index) {
    const nlohmann::json& item = (*batch)[index];
    const std::string subscriptionId = stringField(item, "subscriptionId");
    InstallationRef ref = parseInstallationResource(stringField(item, "resource"));
    store::AuditRecord audit;
    audit.event = event;
    audit.tenantId = clip(stringField(item, "tenantId"), 128);
    audit.teamsAppId = clip(ref.teamsAppId, 256);
    audit.installationId = clip(ref.installationId, 512);

    std::string rejection;
    if (subscriptionId.empty()) {
      rejection = "missing subscriptionId";
    } else {
      auto known = clientStates.find(subscriptionId);
      if (known == clientStates.end()) {
        auto state = storedClientState(store, cache, subscriptionId);
        if (!state) return storeFailed(std::move(checked), logger, state.error());
        known = clientStates.emplace(subscriptionId, std::move(*state)).first;
      }
      auto given = item.find("clientState");
      if (given == item.end() || !given->is_string()) {
        rejection = known->second ? "missing clientState" : "unknown subscription";
      } else if (known->second) {
        if (!constantTimeEquals(given->get_ref<const std::string&>(), *known->second)) {
          rejection = "clientState mismatch";
        }
      } else {
        // Perhaps a subscription whose creation has not returned yet: its record is pending.
        if (!pending) {
          auto states = pendingClientStates(store);
          if (!states) return storeFailed(std::move(checked), logger, states.error());
          pending = std::move(*states);
        }
        bool matched = false;
        for (const auto& state : *pending) {
          // Every candidate is compared, so the time taken does not say which one matched.
          matched = constantTimeEquals(given->get_ref<const std::string&>(), state) || matched;
        }
        if (!matched) rejection = "unknown subscription";
      }
    }

    if (rejection.empty()) {
      audit.outcome = "accepted";
      audit.detail = describe(item, subscriptionId);
      accepted.push_back(index);
    } else {
      // Not from Graph (or for a subscription we dropped): recorded, never acted on.
      audit.outcome = "rejected";
      audit.detail = rejection + " (subscription " + clip(subscriptionId) + ")";
    }
    audits.push_back(std::move(audit));
  }

  checked.rejected = audits.size() - accepted.size();
  if (accepted.size() == batch->size()) {
    // Every item passed (the usual case): the body as received is what the planner reads. It
    // parsed, so it is JSON (valid UTF-8 included) with "value" an array of objects.
    checked.payload = request.body;
  } else if (!accepted.empty()) {
    nlohmann::json kept = nlohmann::json::array();
    for (size_t index : accepted) kept.push_back(std::move((*batch)[index]));
    checked.payload = nlohmann::json{{"value", std::move(kept)}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  checked.audits = std::move(audits);
  return checked;
}

InboundResponse persistGraphDelivery(const CheckedGraphDelivery& checked, store::Store* store,
                                     spdlog::logger& logger, InboundWriter* writer) {
  if (checked.answer) return *checked.answer;
  const auto& audits = checked.audits;
  if (!audits.empty()) {
    if (writer == nullptr && store == nullptr) {
      logger.error("graph notifications: neither a store nor a writer to persist with (a bug)");
      return unavailableResponse("the notification could not be stored; retry later");
    }
    auto kept = writer != nullptr ? writer->acceptNotification(checked.payload, audits)
                                  : store->acceptNotification(checked.payload, audits);
    if (!kept) {
      logger.error("graph notifications: could not persist {} item(s) ({}): {}", audits.size(),
                   toString(kept.error().kind), kept.error().message);
      return unavailableResponse("the notification could not be stored; retry later");
    }
  }
  if (checked.rejected > 0) {
    logger.warn("{}: {} item(s) rejected, {} accepted", checked.event, checked.rejected,
                audits.size() - checked.rejected);
  } else {
    logger.debug("{}: {} item(s) accepted", checked.event, audits.size());
  }
  // 202 even when every item was rejected: a non-2xx would make Graph (or whoever forged the
  // delivery) retry it for hours, and nothing about it will ever become acceptable. Nothing was
  // enqueued; the rejections are in the audit log.
  return emptyResponse(202);
}

InboundResponse handleGraphNotifications(const InboundRequest& request, store::Store& store,
                                         spdlog::logger& logger, InboundWriter* writer,
                                         ClientStateCache* cache) {
  auto checked =
      checkGraphDelivery(request, store, logger, GraphDeliveryRoute::kNotifications, cache);
  return persistGraphDelivery(checked, &store, logger, writer);
}

InboundResponse handleGraphLifecycle(const InboundRequest& request, store::Store& store,
                                     spdlog::logger& logger, InboundWriter* writer,
                                     ClientStateCache* cache) {
  auto checked = checkGraphDelivery(request, store, logger, GraphDeliveryRoute::kLifecycle, cache);
  return persistGraphDelivery(checked, &store, logger, writer);
}

}  // namespace appkeeper::handlers
