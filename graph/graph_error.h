// Graph error answers (shared/graph-api.md §5.1) turned into appkeeper Errors, and the one
// classification table of the client:
//   429, 408, 500-599, and 400 without inner code InvalidRequest (Decision 10) -> kTransient;
//   400 with inner InvalidRequest (consent mismatch, Decision 4), 401, 403, 404, 409 and every
//   other status -> kPermanent.
// Bodies are untrusted: missing, non-JSON or oddly shaped bodies still give an Error with the
// status (never an exception). Pure, thread-safe.
#pragma once

#include <string_view>

#include "common/clock.h"
#include "common/result.h"
#include "graph/http_transport.h"

namespace appkeeper::graph {

ErrorKind classifyGraphStatus(int status, std::string_view innerCode);

// `what` names the call for the message, e.g. "POST /teams/{id}/installedApps/{iid}/upgrade".
// Fills httpStatus, code, innerCode, requestId (header request-id, else innerError's),
// retryAfter (Retry-After header) and a message with Graph's own text (sanitised, truncated).
Error parseGraphError(const HttpResponse& response, std::string_view what, WallTime now);

}  // namespace appkeeper::graph
