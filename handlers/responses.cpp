#include "handlers/responses.h"

#include <string>

namespace appkeeper::handlers {

InboundResponse jsonResponse(int status, const nlohmann::json& body) {
  InboundResponse r;
  r.status = status;
  r.contentType = "application/json";
  // replace: a clipped sender value may end inside a UTF-8 sequence; never throw for that.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

InboundResponse errorResponse(int status, std::string_view code, std::string_view message) {
  return jsonResponse(status, {{"error", {{"code", code}, {"message", message}}}});
}

InboundResponse emptyResponse(int status) {
  InboundResponse r;
  r.status = status;
  return r;
}

InboundResponse unavailableResponse(std::string_view message) {
  InboundResponse r = errorResponse(503, "serviceUnavailable", message);
  r.headers.emplace_back("Retry-After", std::to_string(kRetryAfterSeconds));
  return r;
}

std::string clip(std::string_view value, size_t max) {
  if (value.size() <= max) return std::string(value);
  return std::string(value.substr(0, max)) + "...";
}

}  // namespace appkeeper::handlers
