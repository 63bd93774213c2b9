// The identity platform's token endpoint, POST /{tenant}/oauth2/v2.0/token
// (shared/graph-api.md §4.1, §4.2). It checks what every grant shares (tenant, form body,
// grant_type) and answers client_credentials itself: a client secret in the form body or as
// HTTP Basic client authentication, an app-only access token recorded in the TokenStore. The
// delegated grants (device_code, refresh_token) and the device authorization endpoint are in
// delegated_grants.h. Success answers the identity platform's JSON; failures answer its error
// JSON ({"error","error_description":"AADSTSnnnn: ...","error_codes",...}).
//
// Borrows what IdentityState names for the call. Thread-safe (each store is).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "common/clock.h"
#include "emulator/device_codes.h"
#include "emulator/http_types.h"
#include "emulator/refresh_tokens.h"
#include "emulator/token_store.h"

namespace appkeeper::emulator {

struct TokenEndpointSettings {
  std::string tenantId;
  std::string clientId;
  std::string clientSecret;
  std::chrono::seconds lifetime{3599};
  std::chrono::seconds deviceCodeLifetime{900};
  std::chrono::seconds deviceCodeInterval{5};
};

// The identity platform's state: what it issued.
struct IdentityState {
  TokenStore& tokens;
  DeviceCodeStore& deviceCodes;
  RefreshTokenRegistry& refreshTokens;
  const Clock& clock;
};

// An answer plus what it came to, for /_emulator/stats: `grant` is the grant_type
// ("client_credentials", "device_code", "refresh_token"; "devicecode" for the device
// authorization endpoint; "" when none could be read) and `outcome` "issued" or the error code.
struct IdentityAnswer {
  Response response;
  std::string grant;
  std::string outcome;
};

// `tenantSegment` is the {tenant} of the path.
IdentityAnswer handleTokenRequest(const Request& req, const RequestContext& ctx,
                                  const std::string& tenantSegment,
                                  const TokenEndpointSettings& settings, IdentityState& state);

// The form fields of an identity-platform request after the checks every endpoint shares: the
// tenant is known and the body is application/x-www-form-urlencoded. Otherwise the error answer.
struct IdentityForm {
  std::map<std::string, std::string> fields;
  std::string field(const std::string& name) const {
    auto it = fields.find(name);
    return it == fields.end() ? std::string() : it->second;
  }
};
std::optional<Response> readIdentityForm(const Request& req, const RequestContext& ctx,
                                         const std::string& tenantSegment,
                                         const TokenEndpointSettings& settings, WallTime now,
                                         IdentityForm& form);

// The identity platform's error body (also used for faults injected on the token route).
Response identityError(const RequestContext& ctx, int status, const std::string& error,
                       int aadstsCode, const std::string& description, WallTime now);
// {"token_type":"Bearer",...} with the no-store headers the identity platform sends.
Response identitySuccess(nlohmann::json body);

}  // namespace appkeeper::emulator
