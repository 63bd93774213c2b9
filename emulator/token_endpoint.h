// The identity platform's token endpoint, POST /{tenant}/oauth2/v2.0/token
// (shared/graph-api.md §4.1): the client-credentials grant with a client secret, in the form
// body or as HTTP Basic client authentication. Success answers the identity platform's JSON
// with an opaque access token recorded in the TokenStore; failures answer its error JSON
// ({"error","error_description":"AADSTSnnnn: ...","error_codes",...}).
//
// Borrows the TokenStore and Clock for the call. Thread-safe (the store is).
#pragma once

#include <chrono>
#include <string>

#include "common/clock.h"
#include "emulator/http_types.h"
#include "emulator/token_store.h"

namespace appkeeper::emulator {

struct TokenEndpointSettings {
  std::string tenantId;
  std::string clientId;
  std::string clientSecret;
  std::chrono::seconds lifetime{3599};
};

// `tenantSegment` is the {tenant} of the path.
Response handleTokenRequest(const Request& req, const RequestContext& ctx,
                            const std::string& tenantSegment, const TokenEndpointSettings& settings,
                            TokenStore& tokens, const Clock& clock);

// The identity platform's error body (also used for faults injected on the token route).
Response identityError(const RequestContext& ctx, int status, const std::string& error,
                       int aadstsCode, const std::string& description, WallTime now);

}  // namespace appkeeper::emulator
