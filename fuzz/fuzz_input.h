// Splitting one fuzz input into the fields a parser family needs, so the corpus files stay
// readable text: an optional first line (a request target, a status), an optional block of
// "name: value" header lines ended by an empty line, then the body, byte for byte.
//
// Header-only, used by the fuzz targets in this folder only. Pure, never throws beyond
// std::bad_alloc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace appkeeper::fuzz {

inline std::string_view asText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The text up to the first '\n' (without it); `rest` keeps what follows. Without a newline the
// whole input is the line and `rest` is empty.
inline std::string_view takeLine(std::string_view& rest) {
  const size_t nl = rest.find('\n');
  std::string_view line = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

using HeaderLines = std::vector<std::pair<std::string, std::string>>;

// "name: value" lines up to an empty line (consumed); a line without ':' ends the block too and
// stays in `rest`. Names are lower-cased (what the inbound adapter does); values keep their bytes
// after one optional space.
inline HeaderLines takeHeaders(std::string_view& rest) {
  HeaderLines headers;
  while (!rest.empty()) {
    std::string_view probe = rest;
    std::string_view line = takeLine(probe);
    if (line.empty()) {
      rest = probe;
      break;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) break;
    std::string name(line.substr(0, colon));
    for (char& c : name) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    std::string_view value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    headers.emplace_back(std::move(name), std::string(value));
    rest = probe;
  }
  return headers;
}

inline std::optional<std::string> findHeader(const HeaderLines& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return std::nullopt;
}

// Aborts the process (a fuzzer "crash") when a property the code promises does not hold.
#define APPKEEPER_FUZZ_CHECK(cond)                                                              \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      std::fprintf(stderr, "property violated at %s:%d: %s\n", __FILE__, __LINE__, #cond);     \
      std::abort();                                                                            \
    }                                                                                          \
  } while (0)

}  // namespace appkeeper::fuzz
