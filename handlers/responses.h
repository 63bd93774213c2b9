// The response shapes shared by the inbound routes: the JSON error body
// {"error":{"code":..,"message":..}} and the "try again later" answer. Messages are written for
// the sender and never carry internal detail (that goes to the log).
//
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "handlers/inbound_request.h"
#include "nlohmann/json.hpp"

namespace appkeeper::handlers {

// Seconds a sender should wait before retrying a delivery we could not keep.
inline constexpr int kRetryAfterSeconds = 5;

InboundResponse jsonResponse(int status, const nlohmann::json& body);
InboundResponse errorResponse(int status, std::string_view code, std::string_view message);
InboundResponse emptyResponse(int status);
// 503 + Retry-After: the delivery was valid but could not be persisted now.
InboundResponse unavailableResponse(std::string_view message);

// Shortens a sender-supplied value before it is echoed in an error message or an audit detail.
std::string clip(std::string_view value, size_t max = 64);

}  // namespace appkeeper::handlers
