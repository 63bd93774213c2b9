#include "emulator/url_codec.h"

#include "common/ascii.h"

namespace appkeeper::emulator {
std::optional<std::string> percentDecode(std::string_view text, bool plusIsSpace) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = hexDigitValue(text[i + 1]);
      int lo = hexDigitValue(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plusIsSpace) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::vector<std::string>> splitPath(std::string_view rawPath) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= rawPath.size()) {
    size_t end = rawPath.find('/', start);
    if (end == std::string_view::npos) end = rawPath.size();
    if (end > start) {
      auto seg = percentDecode(rawPath.substr(start, end - start), false);
      if (!seg) return std::nullopt;
      out.push_back(std::move(*seg));
    }
    start = end + 1;
  }
  return out;
}

std::optional<std::map<std::string, std::string>> parseQuery(std::string_view rawQuery) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start < rawQuery.size()) {
    size_t end = rawQuery.find('&', start);
    if (end == std::string_view::npos) end = rawQuery.size();
    std::string_view pair = rawQuery.substr(start, end - start);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      auto name = percentDecode(pair.substr(0, eq), true);
      auto value = percentDecode(
          eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
      if (!name || !value) return std::nullopt;
      out.emplace(std::move(*name), std::move(*value));
    }
    start = end + 1;
  }
  return out;
}

std::string percentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace appkeeper::emulator
