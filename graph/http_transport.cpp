#include "graph/http_transport.h"

#include "common/ascii.h"

namespace appkeeper::graph {

std::optional<std::string> findHeader(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (equalsIgnoreCaseAscii(key, name)) return value;
  }
  return std::nullopt;
}

std::string HttpResponse::header(std::string_view name) const {
  return findHeader(headers, name).value_or(std::string());
}

}  // namespace appkeeper::graph
