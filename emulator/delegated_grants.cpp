#include "emulator/delegated_grants.h"

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "common/ascii.h"
#include "emulator/ids.h"

namespace appkeeper::emulator {
namespace {

constexpr std::string_view kGraphResource = "https://graph.microsoft.com/";

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t end = text.find(' ', i);
    if (end == std::string::npos) end = text.size();
    if (end > i) out.push_back(text.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

// A requested scope string, sorted into Graph permissions and OpenID Connect scopes.
struct Scopes {
  std::vector<std::string> graph;  // permission names without the resource prefix
  bool openid = false;
  bool profile = false;
  bool email = false;
  bool offlineAccess = false;
  std::string notGraph;  // the first scope of another resource, if any

  bool hasGraph(const std::string& name) const {
    for (const auto& g : graph) {
      if (equalsIgnoreCaseAscii(g, name)) return true;
    }
    return false;
  }
  // What the token is for: Graph permissions in full, then the OIDC scopes, as the identity
  // platform lists them in "scope".
  std::string granted(bool withOfflineAccess) const {
    std::string out;
    auto add = [&](const std::string& s) { out += (out.empty() ? "" : " ") + s; };
    for (const auto& g : graph) add(std::string(kGraphResource) + g);
    if (openid) add("openid");
    if (profile) add("profile");
    if (email) add("email");
    if (withOfflineAccess && offlineAccess) add("offline_access");
    return out;
  }
};

Scopes parseScopes(const std::string& text) {
  Scopes s;
  for (const auto& w : words(text)) {
    if (equalsIgnoreCaseAscii(w, "openid")) {
      s.openid = true;
    } else if (equalsIgnoreCaseAscii(w, "profile")) {
      s.profile = true;
    } else if (equalsIgnoreCaseAscii(w, "email")) {
      s.email = true;
    } else if (equalsIgnoreCaseAscii(w, "offline_access")) {
      s.offlineAccess = true;
    } else if (w.size() > kGraphResource.size() &&
               equalsIgnoreCaseAscii(std::string_view(w).substr(0, kGraphResource.size()), kGraphResource)) {
      std::string name = w.substr(kGraphResource.size());
      if (!s.hasGraph(name)) s.graph.push_back(name);
    } else if (w.find('/') == std::string::npos && w.find(':') == std::string::npos) {
      // A bare permission name means Microsoft Graph (the identity platform's default).
      if (!s.hasGraph(w)) s.graph.push_back(w);
    } else if (s.notGraph.empty()) {
      s.notGraph = w;
    }
  }
  return s;
}

// Where a scope check failed, as the identity platform's error; nullopt when it is fine.
std::optional<Response> checkScopes(const RequestContext& ctx, const Scopes& s, WallTime now) {
  if (!s.notGraph.empty()) {
    return identityError(ctx, 400, "invalid_scope", 70011,
                         "The provided value for the input parameter 'scope' is not valid. The "
                         "scope " +
                             s.notGraph +
                             " is not valid: the emulator knows only Microsoft Graph "
                             "(https://graph.microsoft.com/...).",
                         now);
  }
  if (s.graph.empty()) {
    return identityError(ctx, 400, "invalid_scope", 70011,
                         "The provided value for the input parameter 'scope' is not valid. Ask "
                         "for a Microsoft Graph permission, e.g. https://graph.microsoft.com/"
                         "TeamsAppInstallation.ReadWriteAndConsentForTeam offline_access.",
                         now);
  }
  return std::nullopt;
}

// A public client (the registration allows public client flows): no secret is needed, but one
// that is sent must be right, and the client must be the one the tenant knows.
std::optional<Response> checkPublicClient(const RequestContext& ctx, const IdentityForm& form,
                                          const TokenEndpointSettings& settings, WallTime now) {
  const std::string clientId = form.field("client_id");
  if (clientId.empty()) {
    return identityError(ctx, 400, "invalid_request", 900144,
                         "The request body must contain the following parameter: 'client_id'.",
                         now);
  }
  if (!form.field("client_assertion").empty()) {
    return identityError(ctx, 400, "invalid_request", 900023,
                         "Client assertions (certificate credentials) are not supported by the "
                         "emulator; use a client secret or none (public client).",
                         now);
  }
  if (clientId != settings.clientId) {
    return identityError(ctx, 400, "unauthorized_client", 700016,
                         "Application with identifier '" + clientId +
                             "' was not found in the directory '" + settings.tenantId + "'.",
                         now);
  }
  const std::string secret = form.field("client_secret");
  if (!secret.empty() && secret != settings.clientSecret) {
    return identityError(ctx, 401, "invalid_client", 7000215,
                         "Invalid client secret provided. Ensure the secret being sent in the "
                         "request is the client secret value, not the client secret ID, for a "
                         "secret added to app '" +
                             settings.clientId + "'.",
                         now);
  }
  return std::nullopt;
}

uint64_t fnv1a(std::string_view text, uint64_t basis) {
  uint64_t h = basis;
  for (char c : text) {
    h ^= static_cast<unsigned char>(std::tolower(static_cast<unsigned char>(c)));
    h *= 0x100000001b3ULL;
  }
  return h;
}

// A stable object id per user name (the same user always gets the same oid).
std::string userObjectId(const std::string& user) {
  const uint64_t a = fnv1a(user, 0xcbf29ce484222325ULL);
  const uint64_t b = fnv1a(user, 0x84222325cbf29ce4ULL);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

// An id_token shaped like the identity platform's (v2.0 claims), for clients that read who
// signed in. NOT signed by a real key: the "signature" is a fixed marker, so no client can
// (or should) validate it; appkeeper only reads preferred_username from it.
std::string idToken(const TokenEndpointSettings& settings, const std::string& user, WallTime now) {
  const auto iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const nlohmann::json header = {{"typ", "JWT"}, {"alg", "RS256"}, {"kid", "emulator-unsigned"}};
  const std::string oid = userObjectId(user);
  const nlohmann::json claims = {
      {"aud", settings.clientId},
      {"iss", "https://login.microsoftonline.com/" + settings.tenantId + "/v2.0"},
      {"iat", iat},
      {"nbf", iat},
      {"exp", iat + 3600},
      {"name", user.substr(0, user.find('@'))},
      {"oid", oid},
      {"preferred_username", user},
      {"sub", base64UrlEncode(oid)},
      {"tid", settings.tenantId},
      {"ver", "2.0"}};
  return base64UrlEncode(header.dump()) + "." + base64UrlEncode(claims.dump()) + "." +
         base64UrlEncode("not-signed-by-the-emulator");
}

// The success answer of both delegated grants. `scopes` is what this token is for; the refresh
// token (when offline_access was granted) carries `refreshScope`, the whole original grant.
Response issueDelegated(const TokenEndpointSettings& settings, IdentityState& state,
                        const std::string& user, const Scopes& scopes,
                        const std::string& refreshScope, WallTime now) {
  TokenRecord record;
  record.kind = TokenKind::kDelegated;
  record.tenantId = settings.tenantId;
  record.clientId = settings.clientId;
  record.userId = user;
  record.scope = scopes.granted(false);
  record.expiresAt = now + settings.lifetime;
  const std::string accessToken = state.tokens.issue(record);
  const auto seconds = settings.lifetime.count();
  nlohmann::json body = {{"token_type", "Bearer"},
                         {"scope", scopes.granted(false)},
                         {"expires_in", seconds},
                         {"ext_expires_in", seconds},
                         {"access_token", accessToken}};
  if (scopes.offlineAccess) {
    body["refresh_token"] = state.refreshTokens.issue(
        RefreshGrant{settings.tenantId, settings.clientId, user, refreshScope});
  }
  if (scopes.openid) body["id_token"] = idToken(settings, user, now);
  return identitySuccess(std::move(body));
}

}  // namespace

IdentityAnswer handleDeviceCodeRequest(const Request& req, const RequestContext& ctx,
                                       const std::string& tenantSegment,
                                       const TokenEndpointSettings& settings,
                                       IdentityState& state) {
  const WallTime now = state.clock.now();
  IdentityAnswer answer;
  answer.grant = "devicecode";
  auto finish = [&](Response r) {
    answer.outcome = r.status == 200 ? std::string("issued")
                                     : nlohmann::json::parse(r.body).at("error").get<std::string>();
    answer.response = std::move(r);
    return answer;
  };
  IdentityForm form;
  if (auto error = readIdentityForm(req, ctx, tenantSegment, settings, now, form)) {
    return finish(std::move(*error));
  }
  if (auto error = checkPublicClient(ctx, form, settings, now)) return finish(std::move(*error));
  const std::string scopeText = form.field("scope");
  if (scopeText.empty()) {
    return finish(identityError(ctx, 400, "invalid_request", 900144,
                                "The request body must contain the following parameter: 'scope'.",
                                now));
  }
  const Scopes scopes = parseScopes(scopeText);
  if (auto error = checkScopes(ctx, scopes, now)) return finish(std::move(*error));

  NewDeviceCode request;
  request.tenantId = settings.tenantId;
  request.clientId = settings.clientId;
  request.scope = scopes.granted(true);
  request.lifetime = settings.deviceCodeLifetime;
  request.interval = settings.deviceCodeInterval;
  const IssuedDeviceCode issued = state.deviceCodes.issue(request);
  return finish(
      identitySuccess({{"user_code", issued.userCode},
                       {"device_code", issued.deviceCode},
                       {"verification_uri", kVerificationUri},
                       {"expires_in", settings.deviceCodeLifetime.count()},
                       {"interval", settings.deviceCodeInterval.count()},
                       {"message", std::string("To sign in, use a web browser to open the page ") +
                                       kVerificationUri + " and enter the code " + issued.userCode +
                                       " to authenticate."}}));
}

Response deviceCodeGrant(const RequestContext& ctx, const IdentityForm& form,
                         const TokenEndpointSettings& settings, IdentityState& state) {
  const WallTime now = state.clock.now();
  if (auto error = checkPublicClient(ctx, form, settings, now)) return std::move(*error);
  const std::string deviceCode = form.field("device_code");
  if (deviceCode.empty()) {
    return identityError(ctx, 400, "invalid_request", 900144,
                         "The request body must contain the following parameter: 'device_code'.",
                         now);
  }
  const DevicePollResult poll = state.deviceCodes.poll(deviceCode, form.field("client_id"));
  switch (poll.outcome) {
    case DevicePoll::kPending:
      return identityError(ctx, 400, "authorization_pending", 70016,
                           "OAuth 2.0 device flow error. Authorization is pending. Continue "
                           "polling.",
                           now);
    case DevicePoll::kSlowDown:
      return identityError(ctx, 400, "slow_down", 70016,
                           "OAuth 2.0 device flow error. Polling too fast: wait at least " +
                               std::to_string(settings.deviceCodeInterval.count()) +
                               " seconds (the interval) between requests.",
                           now);
    case DevicePoll::kDeclined:
      return identityError(ctx, 400, "authorization_declined", 70000,
                           "The user declined the sign-in request. Start a new sign-in if this "
                           "was a mistake.",
                           now);
    case DevicePoll::kExpired:
      return identityError(ctx, 400, "expired_token", 70019,
                           "Verification code expired. Have the user retry the sign-in with a "
                           "new code.",
                           now);
    case DevicePoll::kRedeemed:
      return identityError(ctx, 400, "invalid_grant", 54005,
                           "OAuth2 device code was already redeemed, please retry with a new "
                           "valid code.",
                           now);
    case DevicePoll::kUnknown:
      return identityError(ctx, 400, "bad_verification_code", 70018,
                           "Invalid verification code: the device_code was not issued to this "
                           "client. Start a new sign-in.",
                           now);
    case DevicePoll::kGranted:
      break;
  }
  const Scopes scopes = parseScopes(poll.scope);
  return issueDelegated(settings, state, poll.user, scopes, poll.scope, now);
}

Response refreshTokenGrant(const RequestContext& ctx, const IdentityForm& form,
                           const TokenEndpointSettings& settings, IdentityState& state) {
  const WallTime now = state.clock.now();
  if (auto error = checkPublicClient(ctx, form, settings, now)) return std::move(*error);
  const std::string refreshToken = form.field("refresh_token");
  if (refreshToken.empty()) {
    return identityError(ctx, 400, "invalid_request", 900144,
                         "The request body must contain the following parameter: 'refresh_token'.",
                         now);
  }
  const RefreshRedemption redemption =
      state.refreshTokens.check(refreshToken, form.field("client_id"));
  switch (redemption.check) {
    case RefreshCheck::kRevoked:
      return identityError(ctx, 400, "invalid_grant", 50173,
                           "The provided grant has expired due to it being revoked, a fresh auth "
                           "token is needed. The user might have changed or reset their "
                           "password. Sign in again.",
                           now);
    case RefreshCheck::kUnknown:
    case RefreshCheck::kOtherClient:
      return identityError(ctx, 400, "invalid_grant", 70000,
                           "Provided grant is invalid or malformed. Sign in again.", now);
    case RefreshCheck::kOk:
      break;
  }
  const RefreshGrant& grant = *redemption.grant;
  const Scopes original = parseScopes(grant.scope);
  Scopes asked = original;
  if (const std::string scopeText = form.field("scope"); !scopeText.empty()) {
    asked = parseScopes(scopeText);
    if (auto error = checkScopes(ctx, asked, now)) return std::move(*error);
    // The same scopes or a subset of what was consented (§4.2); more needs a new sign-in.
    for (const auto& g : asked.graph) {
      if (!original.hasGraph(g) && !original.hasGraph(".default")) {
        Response r = identityError(
            ctx, 400, "invalid_grant", 65001,
            "The user or administrator has not consented to use the application with ID '" +
                settings.clientId + "' for the scope " + std::string(kGraphResource) + g +
                ". Send an interactive authorization request for this user and resource.",
            now);
        auto j = nlohmann::json::parse(r.body);
        j["suberror"] = "consent_required";
        r.body = j.dump();
        return r;
      }
    }
    // A refresh token keeps coming back while the original grant had offline_access.
    asked.offlineAccess = original.offlineAccess;
  }
  return issueDelegated(settings, state, grant.user, asked, grant.scope, now);
}

}  // namespace appkeeper::emulator
