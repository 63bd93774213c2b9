// GET /appCatalogs/teamsApps (shared/graph-api.md §2.1).
#include <set>

#include "emulator/graph_json.h"
#include "emulator/route_support.h"

namespace appkeeper::emulator {
namespace {

const std::set<std::string> kAppSelectable = {"id", "externalId", "displayName",
                                              "distributionMethod", "appDefinitions"};

bool matches(const App& app, const std::vector<FilterClause>& filter) {
  for (const auto& c : filter) {
    const std::string* field = c.path == "id"                   ? &app.id
                               : c.path == "externalId"         ? &app.externalId
                               : c.path == "displayName"        ? &app.displayName
                               : c.path == "distributionMethod" ? &app.distributionMethod
                                                                : nullptr;
    if (!field || *field != c.value) return false;
  }
  return true;
}

}  // namespace

GraphResult catalogRoute(const Request& req, const RouteInfo& route, const RequestContext& ctx,
                         const ODataQuery& q, TenantModel& model, const GraphSettings& settings) {
  auto fail = [&](const Error& e) { return GraphResult{errorResponse(ctx, e), {}, {}}; };
  if (auto s = checkFilter(q.filter, kAppFields, "teamsApps"); !s) return fail(s.error());
  if (auto s = checkSelect(q.select, kAppSelectable, "microsoft.graph.teamsApp"); !s) {
    return fail(s.error());
  }
  const ExpandItem* definitions = nullptr;
  for (const auto& e : q.expand) {
    if (e.name != "appDefinitions") {
      return fail(graphModelError(
          400, "BadRequest",
          "Could not find a property named '" + e.name + "' on type 'microsoft.graph.teamsApp'."));
    }
    if (auto s = checkSelect(e.select, kDefinitionFields, "microsoft.graph.teamsAppDefinition");
        !s) {
      return fail(s.error());
    }
    definitions = &e;
  }
  auto window = pageWindow(req, q, settings.pageSize);
  if (!window) return fail(window.error());

  std::vector<App> apps;
  for (auto& app : model.catalog()) {
    if (matches(app, q.filter)) apps.push_back(std::move(app));
  }
  std::string fragment = "appCatalogs/teamsApps";
  std::string nested;
  if (definitions) {
    nested = definitions->select ? "(" + joined(*definitions->select, ",") + ")" : "()";
    fragment += "(appDefinitions" + nested + ")";
  }
  nlohmann::json items = nlohmann::json::array();
  for (size_t i = window->offset; i < apps.size() && items.size() < window->size; ++i) {
    const App& app = apps[i];
    nlohmann::json item = appJson(app);
    if (definitions) {
      nlohmann::json defs = nlohmann::json::array();
      for (const auto& d : app.definitions) {
        nlohmann::json dj = definitionJson(app, d);
        defs.push_back(definitions->select ? project(dj, *definitions->select) : std::move(dj));
      }
      item["appDefinitions@odata.context"] = metadataContext(
          req, route, "appCatalogs/teamsApps('" + app.id + "')/appDefinitions" + nested);
      item["appDefinitions"] = std::move(defs);
    }
    if (q.select) {
      std::vector<std::string> keep = *q.select;
      if (definitions) {
        keep.push_back("appDefinitions");
        keep.push_back("appDefinitions@odata.context");
      }
      item = project(item, keep);
    }
    items.push_back(std::move(item));
  }
  const size_t end = window->offset + items.size();
  return {
      Response::json(200, collection(req, metadataContext(req, route, fragment), std::move(items),
                                     end < apps.size(), end,
                                     q.count ? std::optional<size_t>(apps.size()) : std::nullopt)),
      {},
      {}};
}

}  // namespace appkeeper::emulator
