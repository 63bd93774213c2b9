// The Microsoft identity platform's wire format, shared by every token source in graph/
// (internal header): the form POST to /token or /devicecode, the JSON error answer
// (shared/graph-api.md 4.1: "error", "error_description", "error_codes") and the token answer
// (access_token, token_type, expires_in, refresh_token, scope, id_token), plus the one caching
// rule for access tokens.
//
// Errors: a transport failure comes back kTransient (kPermanent with "check <urlSetting>" for a
// malformed URL) with every given secret redacted; identityError() classifies an error answer:
// 429, 408, 5xx, temporarily_unavailable and server_error are kTransient with Retry-After, the
// rest kPermanent (callers replace the message with one that says what to fix). Nothing here
// puts a form value or token into a message. Pure functions (postIdentityForm borrows the
// transport for the call), thread-safe.
#pragma once

#include <chrono>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "graph/http_transport.h"

namespace appkeeper::graph {

using FormFields = std::vector<std::pair<std::string, std::string>>;

// application/x-www-form-urlencoded: name=value pairs joined by '&', values encoded.
std::string encodeForm(const FormFields& fields);

// An answer of the identity platform: any status, the body parsed leniently (a JSON value, or
// `discarded` when the body is not JSON).
struct IdentityReply {
  HttpResponse response;
  nlohmann::json body;
  bool succeeded() const { return response.status >= 200 && response.status <= 299; }
};

// POSTs `fields` as a form to `url`. `endpoint` names it in messages ("the token endpoint"),
// `urlSetting` is the setting to check when the URL is malformed, `secrets` are redacted from
// transport error messages.
Result<IdentityReply> postIdentityForm(HttpTransport& transport, const std::string& url,
                                       std::chrono::milliseconds timeout, const FormFields& fields,
                                       std::string_view endpoint, std::string_view urlSetting,
                                       std::initializer_list<std::string_view> secrets);

// "(invalid_grant, HTTP 400 AADSTS70008)": what failed, without the untrusted description.
std::string identityErrorDetail(const IdentityReply& reply);
// The `error` field ("" when absent).
std::string identityErrorCode(const IdentityReply& reply);
// A non-2xx answer as an Error: kind, httpStatus, code and retryAfter filled; message
// "the token endpoint is unavailable (...); retrying later" for transient ones, "the token
// endpoint refused the request (...)" otherwise.
Error identityError(const IdentityReply& reply, WallTime now);
// The error_description up to its "Trace ID" tail: one line, printable, bounded, with every
// given secret redacted. Safe to show an admin.
std::string identityErrorDescription(const IdentityReply& reply,
                                     std::initializer_list<std::string_view> secrets);

// A successful token answer.
struct IssuedToken {
  std::string accessToken;
  std::string refreshToken;  // empty when none was issued
  std::string scope;
  std::string idToken;  // empty unless openid was requested
  std::chrono::seconds lifetime{3600};
};

// Needs a non-empty access_token (else kTransient: the endpoint misbehaved) of type Bearer
// (else kPermanent). expires_in as a number or a digit string, clamped to [0, 1 day], default
// one hour.
Result<IssuedToken> issuedTokenFromReply(const IdentityReply& reply);

// When a token obtained at `requestedAt` should be replaced: 5 minutes before it expires, or
// halfway through a shorter lifetime.
WallTime tokenRefreshTime(WallTime requestedAt, std::chrono::seconds lifetime);

}  // namespace appkeeper::graph
