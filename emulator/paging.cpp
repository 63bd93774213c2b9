#include "emulator/paging.h"

#include <cstdint>
#include <string_view>

#include "emulator/ids.h"

namespace appkeeper::emulator {
namespace {

// FNV-1a: not a secret MAC (nothing here is secret), only a guard against edited tokens.
uint64_t fnv1a(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string checksum(size_t offset, const std::string& binding) {
  return std::to_string(
      fnv1a("appkeeper-emulator-skiptoken|" + std::to_string(offset) + "|" + binding) &
      0xffffffffffffULL);
}

bool isSkipTokenParam(std::string_view pair) {
  auto eq = pair.find('=');
  std::string_view name = pair.substr(0, eq);
  return name == "$skiptoken" || name == "%24skiptoken" || name == "%24Skiptoken";
}

}  // namespace

std::string requestOrigin(const Request& req) {
  std::string host = req.header("host");
  return req.scheme + "://" + (host.empty() ? std::string("127.0.0.1") : host);
}

std::string pagingBinding(const Request& req) {
  std::string out = req.path;
  for (const auto& [k, v] : req.query) {
    if (k == "$skiptoken") continue;
    out += '\n';
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

std::string encodeSkipToken(size_t offset, const std::string& binding) {
  return base64UrlEncode("v1:" + std::to_string(offset) + ":" + checksum(offset, binding));
}

std::optional<size_t> decodeSkipToken(const std::string& token, const std::string& binding) {
  auto raw = base64UrlDecode(token);
  if (!raw || raw->rfind("v1:", 0) != 0) return std::nullopt;
  auto colon = raw->find(':', 3);
  if (colon == std::string::npos) return std::nullopt;
  std::string offsetText = raw->substr(3, colon - 3);
  if (offsetText.empty() || offsetText.size() > 9) return std::nullopt;
  for (char c : offsetText) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  size_t offset = std::stoul(offsetText);
  if (raw->substr(colon + 1) != checksum(offset, binding)) return std::nullopt;
  return offset;
}

std::string nextLink(const Request& req, size_t offset) {
  std::string link = requestOrigin(req) + (req.rawPath.empty() ? req.path : req.rawPath) + "?";
  // Keep the client's own parameters byte for byte (they may be encoded any way it liked).
  std::string_view raw = req.rawQuery;
  size_t start = 0;
  while (start < raw.size()) {
    size_t end = raw.find('&', start);
    if (end == std::string_view::npos) end = raw.size();
    std::string_view pair = raw.substr(start, end - start);
    if (!pair.empty() && !isSkipTokenParam(pair)) {
      link.append(pair);
      link += '&';
    }
    start = end + 1;
  }
  link += "$skiptoken=" + encodeSkipToken(offset, pagingBinding(req));
  return link;
}

}  // namespace appkeeper::emulator
