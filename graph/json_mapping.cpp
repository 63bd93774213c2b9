#include "graph/json_mapping.h"

#include <optional>

#include "common/ascii.h"
#include "graph/graph_client.h"
#include "graph/graph_datetime.h"

namespace appkeeper::graph {
namespace {

using nlohmann::json;

Error shapeError(const std::string& path, const char* expected) {
  return Error::permanent("Graph answered an unexpected JSON shape: " + path + " is not " +
                          expected);
}

// Reads obj[key] as a string into `out`. Missing or null: "" (an error only when required).
std::optional<Error> readString(const json& obj, const char* key, const std::string& path,
                                bool required, std::string& out) {
  out.clear();
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) return Error::permanent("Graph answered without " + path + "." + key);
    return std::nullopt;
  }
  if (!it->is_string()) return shapeError(path + "." + key, "a string");
  out = it->get<std::string>();
  if (required && out.empty())
    return Error::permanent("Graph answered an empty " + path + "." + key);
  return std::nullopt;
}

// obj[key] when it is an object; nullptr when missing or null; error for another type.
std::optional<Error> readObject(const json& obj, const char* key, const std::string& path,
                                const json*& out) {
  out = nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) return shapeError(path + "." + key, "an object");
  out = &*it;
  return std::nullopt;
}

std::optional<Error> readArray(const json& obj, const char* key, const std::string& path,
                               const json*& out) {
  out = nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_array()) return shapeError(path + "." + key, "an array");
  out = &*it;
  return std::nullopt;
}

std::optional<Error> readPermissions(const json& definition, const std::string& path,
                                     std::vector<RscPermission>& out) {
  const json* authorization = nullptr;
  const json* required = nullptr;
  const json* perms = nullptr;
  if (auto e = readObject(definition, "authorization", path, authorization)) return e;
  if (authorization == nullptr) return std::nullopt;
  const std::string authPath = path + ".authorization";
  if (auto e = readObject(*authorization, "requiredPermissionSet", authPath, required)) return e;
  if (required == nullptr) return std::nullopt;
  const std::string setPath = authPath + ".requiredPermissionSet";
  if (auto e = readArray(*required, "resourceSpecificPermissions", setPath, perms)) return e;
  if (perms == nullptr) return std::nullopt;
  for (size_t i = 0; i < perms->size(); ++i) {
    const std::string permPath =
        setPath + ".resourceSpecificPermissions[" + std::to_string(i) + "]";
    const json& p = (*perms)[i];
    if (!p.is_object()) return shapeError(permPath, "an object");
    RscPermission perm;
    if (auto e = readString(p, "permissionValue", permPath, true, perm.value)) return e;
    if (auto e = readString(p, "permissionType", permPath, true, perm.type)) return e;
    perm.type = toLowerAscii(perm.type);
    out.push_back(std::move(perm));
  }
  return std::nullopt;
}

std::optional<Error> readDefinition(const json& d, const std::string& path,
                                    const std::string& appId, AppDefinition& out) {
  if (!d.is_object()) return shapeError(path, "an object");
  if (auto e = readString(d, "id", path, true, out.id)) return e;
  if (auto e = readString(d, "teamsAppId", path, false, out.teamsAppId)) return e;
  if (out.teamsAppId.empty()) out.teamsAppId = appId;  // $select may leave it out
  if (auto e = readString(d, "version", path, false, out.version)) return e;
  if (auto e = readString(d, "publishingState", path, false, out.publishingState)) return e;
  out.publishingState = toLowerAscii(out.publishingState);
  return readPermissions(d, path, out.rsc);
}

}  // namespace

std::string stringOrEmpty(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<nlohmann::json> parseJsonObject(std::string_view body, std::string_view what) {
  auto j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Error::transient("Graph answered with a body that is not JSON (" + std::string(what) +
                            ")");
  }
  if (!j.is_object()) return shapeError("the answer to " + std::string(what), "an object");
  return j;
}

Result<JsonPage> pageFromJson(nlohmann::json body, std::string_view what) {
  if (!body.is_object()) return shapeError("the answer to " + std::string(what), "an object");
  JsonPage page;
  auto value = body.find("value");
  if (value == body.end() || !value->is_array()) {
    return shapeError("\"value\" in the answer to " + std::string(what), "an array");
  }
  page.items = std::move(*value);
  if (auto e = readString(body, "@odata.nextLink", "page", false, page.nextLink)) return *e;
  return page;
}

Result<CatalogApp> catalogAppFromJson(const nlohmann::json& app) {
  try {
    const std::string path = "teamsApp";
    if (!app.is_object()) return shapeError(path, "an object");
    CatalogApp out;
    if (auto e = readString(app, "id", path, true, out.id)) return *e;
    if (auto e = readString(app, "externalId", path, false, out.externalId)) return *e;
    if (auto e = readString(app, "displayName", path, false, out.displayName)) return *e;
    if (auto e = readString(app, "distributionMethod", path, false, out.distributionMethod)) {
      return *e;
    }
    const json* definitions = nullptr;
    if (auto e = readArray(app, "appDefinitions", path, definitions)) return *e;
    if (definitions != nullptr) {
      for (size_t i = 0; i < definitions->size(); ++i) {
        AppDefinition d;
        const std::string dPath =
            path + "(" + out.id + ").appDefinitions[" + std::to_string(i) + "]";
        if (auto e = readDefinition((*definitions)[i], dPath, out.id, d)) return *e;
        out.definitions.push_back(std::move(d));
      }
    }
    return out;
  } catch (const json::exception& e) {
    return Error::permanent(std::string("Graph answered JSON appkeeper cannot read: ") + e.what());
  }
}

Result<TeamInstallation> installationFromJson(const nlohmann::json& installation,
                                              const std::string& tenantId,
                                              const std::string& teamId) {
  try {
    const std::string path = "teamsAppInstallation";
    if (!installation.is_object()) return shapeError(path, "an object");
    TeamInstallation out;
    out.tenantId = tenantId;
    out.teamId = teamId;
    if (auto e = readString(installation, "id", path, true, out.installationId)) return *e;
    const json* app = nullptr;
    const json* definition = nullptr;
    if (auto e = readObject(installation, "teamsApp", path, app)) return *e;
    if (auto e = readObject(installation, "teamsAppDefinition", path, definition)) return *e;
    if (app != nullptr) {
      if (auto e = readString(*app, "id", path + ".teamsApp", false, out.teamsAppId)) return *e;
    }
    if (definition != nullptr) {
      const std::string dPath = path + ".teamsAppDefinition";
      if (auto e = readString(*definition, "id", dPath, false, out.definitionId)) return *e;
      if (auto e = readString(*definition, "version", dPath, false, out.version)) return *e;
      if (out.teamsAppId.empty()) {
        if (auto e = readString(*definition, "teamsAppId", dPath, false, out.teamsAppId)) return *e;
      }
    }
    return out;
  } catch (const json::exception& e) {
    return Error::permanent(std::string("Graph answered JSON appkeeper cannot read: ") + e.what());
  }
}

std::string consentBody(const std::vector<RscPermission>& consent) {
  json perms = json::array();
  for (const auto& p : consent) {
    perms.push_back({{"permissionValue", p.value}, {"permissionType", p.type}});
  }
  json body = {{"consentedPermissionSet", {{"resourceSpecificPermissions", std::move(perms)}}}};
  // Replace, not throw, on invalid UTF-8 in a permission name.
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<GraphSubscription> subscriptionFromJson(const nlohmann::json& subscription) {
  try {
    const std::string path = "subscription";
    if (!subscription.is_object()) return shapeError(path, "an object");
    GraphSubscription out;
    if (auto e = readString(subscription, "id", path, true, out.id)) return *e;
    if (auto e = readString(subscription, "resource", path, false, out.resource)) return *e;
    if (auto e = readString(subscription, "changeType", path, false, out.changeType)) return *e;
    if (auto e = readString(subscription, "notificationUrl", path, false, out.notificationUrl)) {
      return *e;
    }
    if (auto e = readString(subscription, "lifecycleNotificationUrl", path, false,
                            out.lifecycleNotificationUrl)) {
      return *e;
    }
    if (auto e = readString(subscription, "applicationId", path, false, out.applicationId)) {
      return *e;
    }
    std::string expiration;
    if (auto e = readString(subscription, "expirationDateTime", path, true, expiration)) return *e;
    auto parsed = parseGraphDateTime(expiration);
    if (!parsed) {
      return shapeError(path + "(" + out.id + ").expirationDateTime", "an ISO 8601 date-time");
    }
    out.expiration = *parsed;
    return out;
  } catch (const json::exception& e) {
    return Error::permanent(std::string("Graph answered JSON appkeeper cannot read: ") + e.what());
  }
}

std::string subscriptionBody(const SubscriptionSpec& spec) {
  json body = {{"changeType", spec.changeType},
               {"notificationUrl", spec.notificationUrl},
               {"resource", spec.resource},
               {"expirationDateTime", formatGraphDateTime(spec.expiration)}};
  if (!spec.lifecycleNotificationUrl.empty()) {
    body["lifecycleNotificationUrl"] = spec.lifecycleNotificationUrl;
  }
  if (!spec.clientState.empty()) body["clientState"] = spec.clientState;
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string subscriptionRenewalBody(WallTime expiration) {
  return json{{"expirationDateTime", formatGraphDateTime(expiration)}}.dump();
}

}  // namespace appkeeper::graph
