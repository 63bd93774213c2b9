#include "handlers/query_string.h"

#include "common/ascii.h"

namespace appkeeper::handlers {
RequestTarget splitTarget(std::string_view target) {
  if (auto hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
  auto q = target.find('?');
  if (q == std::string_view::npos) return {std::string(target), {}};
  return {std::string(target.substr(0, q)), std::string(target.substr(q + 1))};
}

std::string decodeQueryComponent(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < s.size() && hexDigitValue(s[i + 1]) >= 0 &&
               hexDigitValue(s[i + 2]) >= 0) {
      out += static_cast<char>(hexDigitValue(s[i + 1]) * 16 + hexDigitValue(s[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::map<std::string, std::string> parseQuery(std::string_view rawQuery) {
  std::map<std::string, std::string> out;
  while (!rawQuery.empty()) {
    auto amp = rawQuery.find('&');
    std::string_view pair = rawQuery.substr(0, amp);
    rawQuery = amp == std::string_view::npos ? std::string_view() : rawQuery.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string name = decodeQueryComponent(pair.substr(0, eq));
    std::string value =
        eq == std::string_view::npos ? std::string() : decodeQueryComponent(pair.substr(eq + 1));
    out.emplace(std::move(name), std::move(value));  // emplace keeps the first occurrence
  }
  return out;
}

std::string loggablePath(std::string_view path, size_t max) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  const std::string_view kept = path.substr(0, max);
  out.reserve(kept.size() + 3);
  for (char c : kept) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7F) {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    } else {
      out += c;
    }
  }
  if (path.size() > max) out += "...";
  return out;
}

}  // namespace appkeeper::handlers
