#include "emulator/route_support.h"

#include "emulator/paging.h"

namespace appkeeper::emulator {

Result<PageWindow> pageWindow(const Request& req, const ODataQuery& q, size_t defaultPageSize) {
  PageWindow w;
  w.size = q.top.value_or(defaultPageSize);
  if (w.size == 0) w.size = 1;
  if (q.skipToken) {
    auto offset = decodeSkipToken(*q.skipToken, pagingBinding(req));
    if (!offset) {
      return graphModelError(400, "BadRequest",
                             "The $skiptoken is invalid or does not belong to this query. Request "
                             "the first page again without $skiptoken.");
    }
    w.offset = *offset;
  }
  return w;
}

std::string metadataContext(const Request& req, const RouteInfo& route,
                            const std::string& fragment) {
  return requestOrigin(req) + "/" + route.version + "/$metadata#" + fragment;
}

nlohmann::json collection(const Request& req, const std::string& context, nlohmann::json items,
                          bool more, size_t nextOffset, std::optional<size_t> count) {
  nlohmann::json out = {{"@odata.context", context}, {"value", std::move(items)}};
  if (count) out["@odata.count"] = *count;
  if (more) out["@odata.nextLink"] = nextLink(req, nextOffset);
  return out;
}

Status checkSelect(const std::vector<std::string>& select, const std::set<std::string>& allowed,
                   const std::string& type) {
  for (const auto& name : select) {
    if (allowed.count(name) == 0) {
      return graphModelError(
          400, "BadRequest",
          "Could not find a property named '" + name + "' on type '" + type + "'.");
    }
  }
  return Ok{};
}

Status checkSelect(const std::optional<std::vector<std::string>>& select,
                   const std::set<std::string>& allowed, const std::string& type) {
  if (!select) return Ok{};
  return checkSelect(*select, allowed, type);
}

Status checkFilter(const std::vector<FilterClause>& filter, const std::set<std::string>& allowed,
                   const std::string& resource) {
  for (const auto& clause : filter) {
    if (allowed.count(clause.path) == 0) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return graphModelError(400, "BadRequest",
                             "Invalid filter clause: the emulator filters " + resource + " on " +
                                 list + " (with eq), not on '" + clause.path + "'.");
    }
  }
  return Ok{};
}

std::string joined(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += sep;
    out += i;
  }
  return out;
}

}  // namespace appkeeper::emulator
