// Graph JSON <-> common/teams_types.h (internal to the graph module; tests use it directly).
// Graph answers are untrusted: missing optional fields and nulls are tolerated, wrong types and
// missing ids become a kPermanent Error naming the JSON path. Nothing here throws.
//
// Mapped fields: teamsApp (id, externalId, displayName, distributionMethod, appDefinitions[] with
// id, teamsAppId (defaults to the app id), version, publishingState (lower-cased),
// authorization.requiredPermissionSet.resourceSpecificPermissions[]); teamsAppInstallation (id,
// teamsApp.id, teamsAppDefinition.id/version/teamsAppId); subscription (id, resource,
// changeType, notificationUrl, lifecycleNotificationUrl, applicationId, expirationDateTime).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "common/teams_types.h"

namespace appkeeper::graph {

struct SubscriptionSpec;   // graph/graph_client.h
struct GraphSubscription;  // graph/graph_client.h

// One page of a Graph collection: {"value":[...], "@odata.nextLink":"..."}.
struct JsonPage {
  nlohmann::json items = nlohmann::json::array();
  std::string nextLink;  // empty on the last page
};

// j[key] when j is an object and the value a string; empty otherwise (lenient reads of
// error bodies, where any shape must still give an Error).
std::string stringOrEmpty(const nlohmann::json& j, const char* key);

// A Graph answer body: a JSON object. Non-JSON -> kTransient "Graph answered with a body that
// is not JSON"; JSON that is not an object -> kPermanent. `what` names the call for messages.
Result<nlohmann::json> parseJsonObject(std::string_view body, std::string_view what);
// A collection page from a parsed body; no array "value" -> kPermanent.
Result<JsonPage> pageFromJson(nlohmann::json body, std::string_view what);

Result<CatalogApp> catalogAppFromJson(const nlohmann::json& app);
Result<TeamInstallation> installationFromJson(const nlohmann::json& installation,
                                              const std::string& tenantId,
                                              const std::string& teamId);
// {"consentedPermissionSet":{"resourceSpecificPermissions":[{"permissionValue":..,
// "permissionType":..}]}} in the given order.
std::string consentBody(const std::vector<RscPermission>& consent);

// A subscription answer: id and a readable expirationDateTime required.
Result<GraphSubscription> subscriptionFromJson(const nlohmann::json& subscription);
// POST /subscriptions: changeType, notificationUrl, lifecycleNotificationUrl (omitted when
// empty), resource, expirationDateTime (Graph's format), clientState (omitted when empty).
// The result holds the clientState: never log it.
std::string subscriptionBody(const SubscriptionSpec& spec);
// PATCH /subscriptions/{id}: {"expirationDateTime": ...}.
std::string subscriptionRenewalBody(WallTime expiration);

}  // namespace appkeeper::graph
