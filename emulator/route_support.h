// Helpers shared by the Graph route files (catalog_routes.cpp, team_routes.cpp): query
// parsing into 400s, the paging window and the collection envelope. Internal to the emulator.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "emulator/graph_routes.h"
#include "emulator/odata_query.h"
#include "nlohmann/json.hpp"

namespace appkeeper::emulator {

struct PageWindow {
  size_t offset = 0;
  size_t size = 20;
};

// Offset from $skiptoken (400 when tampered with), size from $top or the default page size.
Result<PageWindow> pageWindow(const Request& req, const ODataQuery& q, size_t defaultPageSize);

// {"@odata.context": ..., "value": [...], "@odata.nextLink"?: ..., "@odata.count"?: ...}
nlohmann::json collection(const Request& req, const std::string& contextFragment,
                          nlohmann::json items, bool more, size_t nextOffset,
                          std::optional<size_t> count);
// "{origin}/{version}/$metadata#" + fragment
std::string metadataContext(const Request& req, const RouteInfo& route,
                            const std::string& fragment);

// 400 "Could not find a property named 'x' on type 'microsoft.graph.T'." when a $select names
// something outside `allowed`.
Status checkSelect(const std::optional<std::vector<std::string>>& select,
                   const std::set<std::string>& allowed, const std::string& type);
Status checkSelect(const std::vector<std::string>& select, const std::set<std::string>& allowed,
                   const std::string& type);
// 400 when a $filter clause uses a property outside `allowed`.
Status checkFilter(const std::vector<FilterClause>& filter, const std::set<std::string>& allowed,
                   const std::string& resource);

std::string joined(const std::vector<std::string>& items, const char* sep);

GraphResult catalogRoute(const Request& req, const RouteInfo& route, const RequestContext& ctx,
                         const ODataQuery& q, TenantModel& model, const GraphSettings& settings);
GraphResult teamRoute(const Request& req, const RouteInfo& route, const RequestContext& ctx,
                      const ODataQuery& q, const TokenRecord& token, TenantModel& model,
                      const GraphSettings& settings);

}  // namespace appkeeper::emulator
