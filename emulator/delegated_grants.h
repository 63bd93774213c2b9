// The identity platform's delegated sign-in for a public client (the app registration has
// "Allow public client flows": no client secret is needed), shared/graph-api.md §4.2:
//   POST /{tenant}/oauth2/v2.0/devicecode   (client_id, scope) -> device_code, user_code, ...
//   POST /{tenant}/oauth2/v2.0/token        grant_type=urn:ietf:params:oauth:grant-type:device_code
//   POST /{tenant}/oauth2/v2.0/token        grant_type=refresh_token
// Approved device codes and refreshes issue delegated access tokens (TokenKind::kDelegated), a
// refresh token when offline_access was asked for (a NEW one on every refresh; the old one stays
// valid) and an id_token when openid was. token_endpoint.cpp dispatches the two grants here.
//
// Scopes: space-separated; every one is a Graph scope ("https://graph.microsoft.com/X" or a bare
// "X") or openid/profile/email/offline_access, and at least one is a Graph scope (else
// invalid_scope).
//
// Borrows IdentityState for the call. Thread-safe (the stores are). Never throws; errors are
// the identity platform's JSON (token_endpoint.h identityError). No token or device code is
// ever put in an error description.
#pragma once

#include <string>

#include "emulator/http_types.h"
#include "emulator/token_endpoint.h"

namespace appkeeper::emulator {

inline constexpr const char* kDeviceCodeGrantType = "urn:ietf:params:oauth:grant-type:device_code";
inline constexpr const char* kVerificationUri = "https://microsoft.com/devicelogin";

// POST /{tenant}/oauth2/v2.0/devicecode (grant "devicecode" in the stats).
IdentityAnswer handleDeviceCodeRequest(const Request& req, const RequestContext& ctx,
                                       const std::string& tenantSegment,
                                       const TokenEndpointSettings& settings, IdentityState& state);

// The two delegated grants of the token endpoint, after readIdentityForm().
Response deviceCodeGrant(const RequestContext& ctx, const IdentityForm& form,
                         const TokenEndpointSettings& settings, IdentityState& state);
Response refreshTokenGrant(const RequestContext& ctx, const IdentityForm& form,
                           const TokenEndpointSettings& settings, IdentityState& state);

}  // namespace appkeeper::emulator
