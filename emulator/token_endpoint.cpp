#include "emulator/token_endpoint.h"

#include <cctype>

#include "emulator/delegated_grants.h"
#include "emulator/ids.h"
#include "emulator/time_format.h"
#include "emulator/url_codec.h"

namespace appkeeper::emulator {
namespace {

bool startsWithNoCase(const std::string& s, const std::string& prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Response identityError(const RequestContext& ctx, int status, const std::string& error,
                       int aadstsCode, const std::string& description, WallTime now) {
  const std::string traceId = ctx.requestId;
  const std::string correlationId =
      ctx.clientRequestId.empty() ? ctx.requestId : ctx.clientRequestId;
  const std::string timestamp = aadTimestamp(now);
  const std::string code = "AADSTS" + std::to_string(aadstsCode);
  Response r = Response::json(
      status,
      {{"error", error},
       {"error_description", code + ": " + description + " Trace ID: " + traceId +
                                 " Correlation ID: " + correlationId + " Timestamp: " + timestamp},
       {"error_codes", {aadstsCode}},
       {"timestamp", timestamp},
       {"trace_id", traceId},
       {"correlation_id", correlationId},
       {"error_uri",
        "https://login.microsoftonline.com/error?code=" + std::to_string(aadstsCode)}});
  r.headers.emplace_back("Cache-Control", "no-store, no-cache");
  r.headers.emplace_back("Pragma", "no-cache");
  return r;
}

Response identitySuccess(nlohmann::json body) {
  Response r = Response::json(200, body);
  r.headers.emplace_back("Cache-Control", "no-store, no-cache");
  r.headers.emplace_back("Pragma", "no-cache");
  return r;
}

std::optional<Response> readIdentityForm(const Request& req, const RequestContext& ctx,
                                         const std::string& tenantSegment,
                                         const TokenEndpointSettings& settings, WallTime now,
                                         IdentityForm& form) {
  auto fail = [&](int status, const char* error, int code, const std::string& description) {
    return identityError(ctx, status, error, code, description, now);
  };
  if (tenantSegment != settings.tenantId) {
    return fail(400, "invalid_request", 90002,
                "Tenant '" + tenantSegment +
                    "' not found. Check to make sure you have the correct tenant ID and are "
                    "signing into the correct cloud.");
  }
  const std::string contentType = req.header("content-type");
  if (!startsWithNoCase(contentType, "application/x-www-form-urlencoded")) {
    return fail(400, "invalid_request", 900144,
                "The request body must contain the following parameter: 'grant_type'. "
                "(Send it as application/x-www-form-urlencoded.)");
  }
  auto parsed = parseQuery(req.body);
  if (!parsed)
    return fail(400, "invalid_request", 90014, "The request body is not valid form data.");
  form.fields = std::move(*parsed);
  return std::nullopt;
}

namespace {

Response clientCredentials(const Request& req, const RequestContext& ctx, const IdentityForm& form,
                           const TokenEndpointSettings& settings, IdentityState& state,
                           WallTime now) {
  auto fail = [&](int status, const char* error, int code, const std::string& description) {
    return identityError(ctx, status, error, code, description, now);
  };
  // Client authentication: form fields or HTTP Basic (RFC 6749 §2.3.1), not both.
  std::string clientId = form.field("client_id");
  std::string secret = form.field("client_secret");
  const std::string authorization = req.header("authorization");
  if (startsWithNoCase(authorization, "basic ")) {
    auto decoded = base64Decode(authorization.substr(6));
    auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      return fail(401, "invalid_client", 7000215,
                  "Invalid client secret provided. The Basic authorization header is malformed.");
    }
    auto basicId = percentDecode(decoded->substr(0, colon), true);
    auto basicSecret = percentDecode(decoded->substr(colon + 1), true);
    if (!basicId || !basicSecret) {
      return fail(401, "invalid_client", 7000215,
                  "Invalid client secret provided. The Basic authorization header is malformed.");
    }
    if (!clientId.empty() && clientId != *basicId) {
      return fail(400, "invalid_request", 50144,
                  "The client_id in the body does not match the one in the Authorization header.");
    }
    clientId = *basicId;
    secret = *basicSecret;
  }
  if (clientId.empty()) {
    return fail(400, "invalid_request", 900144,
                "The request body must contain the following parameter: 'client_id'.");
  }
  if (!form.field("client_assertion").empty()) {
    return fail(400, "invalid_request", 900023,
                "Client assertions (certificate credentials) are not supported by the emulator; "
                "use a client secret.");
  }
  if (clientId != settings.clientId) {
    // What the identity platform answers for a client id it does not know in the tenant.
    return fail(400, "unauthorized_client", 700016,
                "Application with identifier '" + clientId + "' was not found in the directory '" +
                    settings.tenantId + "'.");
  }
  if (secret.empty()) {
    return fail(401, "invalid_client", 7000218,
                "The request body must contain the following parameter: 'client_assertion' or "
                "'client_secret'.");
  }
  if (secret != settings.clientSecret) {
    return fail(401, "invalid_client", 7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is "
                "the client secret value, not the client secret ID, for a secret added to app '" +
                    settings.clientId + "'.");
  }
  const std::string scope = form.field("scope");
  if (scope.empty()) {
    return fail(400, "invalid_request", 900144,
                "The request body must contain the following parameter: 'scope'.");
  }
  if (!endsWith(scope, "/.default") || scope.find(' ') != std::string::npos) {
    return fail(400, "invalid_scope", 1002012,
                "The provided value for scope " + scope +
                    " is not valid. Client credential flows must have a scope value with "
                    "/.default suffixed to the resource identifier (application ID URI).");
  }

  TokenRecord record;
  record.kind = TokenKind::kApp;
  record.tenantId = settings.tenantId;
  record.clientId = clientId;
  record.scope = scope;
  record.expiresAt = now + settings.lifetime;
  const std::string token = state.tokens.issue(record);
  const auto seconds = settings.lifetime.count();
  return identitySuccess({{"token_type", "Bearer"},
                          {"expires_in", seconds},
                          {"ext_expires_in", seconds},
                          {"access_token", token}});
}

// "issued" for a 200, else the identity platform's `error` member.
std::string outcomeOf(const Response& r) {
  if (r.status == 200) return "issued";
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) return j["error"];
  return std::to_string(r.status);
}

}  // namespace

IdentityAnswer handleTokenRequest(const Request& req, const RequestContext& ctx,
                                  const std::string& tenantSegment,
                                  const TokenEndpointSettings& settings, IdentityState& state) {
  const WallTime now = state.clock.now();
  IdentityForm form;
  if (auto error = readIdentityForm(req, ctx, tenantSegment, settings, now, form)) {
    return {std::move(*error), "", ""};
  }
  const std::string grantType = form.field("grant_type");
  IdentityAnswer answer;
  answer.grant = grantType;
  if (grantType.empty()) {
    answer.response =
        identityError(ctx, 400, "invalid_request", 900144,
                      "The request body must contain the following parameter: 'grant_type'.", now);
  } else if (grantType == "client_credentials") {
    answer.response = clientCredentials(req, ctx, form, settings, state, now);
  } else if (grantType == kDeviceCodeGrantType) {
    answer.grant = "device_code";
    answer.response = deviceCodeGrant(ctx, form, settings, state);
  } else if (grantType == "refresh_token") {
    answer.response = refreshTokenGrant(ctx, form, settings, state);
  } else {
    answer.grant.clear();  // a client's free text does not become a stats key
    answer.response =
        identityError(ctx, 400, "unsupported_grant_type", 70003,
                      "The app requested an unsupported grant type '" + grantType +
                          "'. The emulator supports client_credentials, refresh_token and " +
                          kDeviceCodeGrantType + ".",
                      now);
  }
  answer.outcome = outcomeOf(answer.response);
  return answer;
}

}  // namespace appkeeper::emulator
