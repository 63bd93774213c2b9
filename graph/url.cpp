#include "graph/url.h"

#include <cctype>

#include "common/ascii.h"

namespace appkeeper::graph {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

bool isUnreserved(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~';
}

template <typename Keep>
std::string percentEncode(std::string_view s, Keep keep) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (keep(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    }
  }
  return out;
}

}  // namespace

std::string ParsedUrl::origin() const { return scheme + "://" + hostPort(); }

std::string ParsedUrl::hostPort() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<ParsedUrl> parseUrl(std::string_view url) {
  auto bad = [&](const char* why) {
    // The URL holds no secret, but cap what we echo back.
    return Error::invalidInput("invalid URL '" + std::string(url.substr(0, 200)) + "': " + why);
  };
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) return bad("expected scheme://host");
  ParsedUrl p;
  p.scheme = toLowerAscii(url.substr(0, sep));
  if (p.scheme != "http" && p.scheme != "https") return bad("only http and https are supported");
  std::string_view rest = url.substr(sep + 3);
  size_t authEnd = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authEnd);
  std::string_view target = authEnd == std::string_view::npos ? "" : rest.substr(authEnd);
  if (authority.find('@') != std::string_view::npos) return bad("user-info is not allowed");
  std::string_view portText;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 address");
    p.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("garbage after IPv6 address");
      portText = after.substr(1);
      if (portText.empty()) return bad("empty port");
    }
  } else {
    size_t colon = authority.rfind(':');
    p.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      portText = authority.substr(colon + 1);
      if (portText.empty()) return bad("empty port");
    }
  }
  if (p.host.empty()) return bad("missing host");
  for (char ch : p.host) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7F || c == '/' || c == '\\') return bad("invalid character in host");
  }
  p.host = toLowerAscii(p.host);
  if (portText.empty()) {
    p.port = p.scheme == "https" ? 443 : 80;
  } else {
    if (portText.size() > 5) return bad("port out of range");
    unsigned value = 0;
    for (char c : portText) {
      if (c < '0' || c > '9') return bad("port is not a number");
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) return bad("port out of range");
    p.port = static_cast<uint16_t>(value);
  }
  size_t hash = target.find('#');
  if (hash != std::string_view::npos) target = target.substr(0, hash);
  if (target.empty() || target.front() == '?') {
    p.target = "/" + std::string(target);
  } else {
    p.target = std::string(target);
  }
  return p;
}

std::string encodePathSegment(std::string_view s) { return percentEncode(s, isUnreserved); }

std::string encodeQueryValue(std::string_view s) {
  return percentEncode(s, [](unsigned char c) {
    return isUnreserved(c) ||
           std::string_view("'(),$:/@!*;").find(static_cast<char>(c)) != std::string_view::npos;
  });
}

std::string encodeFormValue(std::string_view s) { return percentEncode(s, isUnreserved); }

std::string odataString(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    out.push_back(c);
    if (c == '\'') out.push_back('\'');
  }
  out.push_back('\'');
  return out;
}

std::string sanitizeRequestTarget(std::string_view target) {
  return percentEncode(target, [](unsigned char c) {
    return c > 0x20 && c < 0x7F &&
           std::string_view("\"<>\\^`{|}").find(static_cast<char>(c)) == std::string_view::npos;
  });
}

}  // namespace appkeeper::graph
