#include "common/version.h"

#include <cstdint>
#include <vector>

namespace appkeeper {
namespace {

std::optional<std::vector<uint32_t>> parse(std::string_view v) {
  std::vector<uint32_t> parts;
  if (v.empty()) return std::nullopt;
  size_t start = 0;
  while (true) {
    size_t dot = v.find('.', start);
    std::string_view part = v.substr(start, dot == std::string_view::npos ? v.npos : dot - start);
    if (part.empty() || part.size() > 9) return std::nullopt;
    uint32_t n = 0;
    for (char c : part) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + static_cast<uint32_t>(c - '0');
    }
    parts.push_back(n);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}

}  // namespace

bool isValidVersion(std::string_view v) { return parse(v).has_value(); }

std::optional<int> compareVersions(std::string_view a, std::string_view b) {
  auto pa = parse(a);
  auto pb = parse(b);
  if (!pa || !pb) return std::nullopt;
  size_t n = std::max(pa->size(), pb->size());
  for (size_t i = 0; i < n; ++i) {
    uint32_t x = i < pa->size() ? (*pa)[i] : 0;
    uint32_t y = i < pb->size() ? (*pb)[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

}  // namespace appkeeper
