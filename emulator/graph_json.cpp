#include "emulator/graph_json.h"

#include "emulator/time_format.h"

namespace appkeeper::emulator {

const std::set<std::string> kAppFields = {"id", "externalId", "displayName", "distributionMethod"};
const std::set<std::string> kDefinitionFields = {"id",
                                                 "teamsAppId",
                                                 "azureADAppId",
                                                 "displayName",
                                                 "version",
                                                 "publishingState",
                                                 "shortDescription",
                                                 "description",
                                                 "lastModifiedDateTime",
                                                 "createdBy",
                                                 "authorization"};

nlohmann::json rscToJson(const std::vector<RscPermission>& rsc) {
  auto out = nlohmann::json::array();
  for (const auto& p : rsc) {
    out.push_back({{"permissionValue", p.value}, {"permissionType", p.type}});
  }
  return out;
}

Result<std::vector<RscPermission>> rscFromJson(const nlohmann::json& value) {
  if (!value.is_array()) {
    return Error::invalidInput("resourceSpecificPermissions must be an array");
  }
  std::vector<RscPermission> out;
  for (size_t i = 0; i < value.size(); ++i) {
    const auto& item = value[i];
    const std::string where = "resourceSpecificPermissions[" + std::to_string(i) + "]";
    if (!item.is_object()) return Error::invalidInput(where + " must be an object");
    for (const auto& [key, v] : item.items()) {
      if (key != "permissionValue" && key != "permissionType" && key.rfind("@odata.", 0) != 0) {
        return Error::invalidInput(where + " has an unknown property '" + key + "'");
      }
    }
    auto pv = item.find("permissionValue");
    auto pt = item.find("permissionType");
    if (pv == item.end() || !pv->is_string() || pv->get_ref<const std::string&>().empty()) {
      return Error::invalidInput(where + " needs a non-empty string permissionValue");
    }
    if (pt == item.end() || !pt->is_string() || (*pt != "application" && *pt != "delegated")) {
      return Error::invalidInput(where + " needs permissionType 'application' or 'delegated'");
    }
    out.push_back(RscPermission{pv->get<std::string>(), pt->get<std::string>()});
  }
  return out;
}

nlohmann::json permissionSetJson(const std::vector<RscPermission>& rsc) {
  return {{"resourceSpecificPermissions", rscToJson(rsc)}};
}

nlohmann::json teamJson(const Team& team) {
  return {{"id", team.id},
          {"displayName", team.displayName},
          {"description",
           team.description.empty() ? nlohmann::json(nullptr) : nlohmann::json(team.description)},
          {"visibility", team.visibility}};
}

nlohmann::json appJson(const App& app) {
  return {{"id", app.id},
          {"externalId",
           app.externalId.empty() ? nlohmann::json(nullptr) : nlohmann::json(app.externalId)},
          {"displayName", app.displayName},
          {"distributionMethod", app.distributionMethod}};
}

nlohmann::json definitionJson(const App& app, const Definition& d) {
  return {{"id", d.id},
          {"teamsAppId", app.id},
          {"azureADAppId", nullptr},
          {"displayName", app.displayName},
          {"version", d.version},
          {"publishingState", d.publishingState},
          {"shortDescription", app.shortDescription},
          {"description", app.shortDescription},
          {"lastModifiedDateTime", odataDateTime(d.lastModified)},
          {"createdBy", nullptr},
          {"authorization",
           {{"clientAppId", nullptr}, {"requiredPermissionSet", permissionSetJson(d.rsc)}}}};
}

nlohmann::json project(const nlohmann::json& entity, const std::vector<std::string>& select) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& name : select) {
    auto it = entity.find(name);
    if (it != entity.end()) out[name] = *it;
  }
  return out;
}

}  // namespace appkeeper::emulator
