#include "graph/graph_error.h"

#include <nlohmann/json.hpp>

#include "common/ascii.h"
#include "graph/json_mapping.h"
#include "graph/retry_after.h"

namespace appkeeper::graph {
namespace {

constexpr size_t kMaxMessage = 300;

const nlohmann::json* objectAt(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? &*it : nullptr;
}

// Peer text goes into logs and the audit: one line, printable, bounded.
std::string sanitize(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxMessage)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7F ? ' ' : c);
  }
  if (text.size() > kMaxMessage) out += "...";
  return out;
}

}  // namespace

ErrorKind classifyGraphStatus(int status, std::string_view innerCode) {
  if (status == 429 || status == 408 || (status >= 500 && status <= 599)) {
    return ErrorKind::kTransient;
  }
  if (status == 400) {
    return equalsIgnoreCaseAscii(innerCode, "InvalidRequest") ? ErrorKind::kPermanent
                                                              : ErrorKind::kTransient;
  }
  return ErrorKind::kPermanent;
}

Error parseGraphError(const HttpResponse& response, std::string_view what, WallTime now) {
  Error e;
  e.httpStatus = response.status;
  std::string graphMessage;
  const auto body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (const nlohmann::json* error = objectAt(body, "error")) {
    e.code = stringOrEmpty(*error, "code");
    graphMessage = stringOrEmpty(*error, "message");
    const nlohmann::json* inner = objectAt(*error, "innerError");
    if (inner == nullptr) inner = objectAt(*error, "innererror");  // the documented spelling
    if (inner != nullptr) {
      e.innerCode = stringOrEmpty(*inner, "code");
      e.requestId = stringOrEmpty(*inner, "request-id");
    }
  }
  if (std::string header = response.header("request-id"); !header.empty()) e.requestId = header;
  e.code = sanitize(e.code);
  e.innerCode = sanitize(e.innerCode);
  e.requestId = sanitize(e.requestId);
  e.retryAfter = parseRetryAfter(response.header("Retry-After"), now);
  e.kind = classifyGraphStatus(response.status, e.innerCode);

  std::string message = "Graph answered " + std::to_string(response.status);
  if (!e.code.empty()) message += " " + e.code;
  if (!e.innerCode.empty()) message += "/" + e.innerCode;
  message += " to " + std::string(what);
  message += graphMessage.empty() ? " (no error details)" : ": " + sanitize(graphMessage);
  if (!e.requestId.empty()) message += " [request-id " + e.requestId + "]";
  e.message = std::move(message);
  return e;
}

}  // namespace appkeeper::graph
