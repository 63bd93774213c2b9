// RefreshTokenSource (graph/delegated_tokens.h): delegated access tokens redeemed from the
// stored refresh token, cached like the app-only ones, with refresh-token rotation.
#include <set>

#include "graph/delegated_tokens.h"
#include "graph/identity_form.h"
#include "graph/redact.h"

namespace appkeeper::graph {
namespace {

constexpr const char* kLoginHint = "run `appkeeper login`";

Error loginRequired(std::string what) {
  Error e = Error::permanent(std::move(what) + "; " + kLoginHint);
  e.code = kLoginRequiredCode;
  return e;
}

// Answers that only a new interactive sign-in can fix (shared/graph-api.md 4.2).
bool needsSignIn(const std::string& code) {
  static const std::set<std::string> kCodes{"invalid_grant", "interaction_required",
                                            "consent_required"};
  return kCodes.count(code) != 0;
}

}  // namespace

RefreshTokenSource::RefreshTokenSource(DelegatedClient client, RefreshTokenStore& store,
                                       HttpTransport& transport, const Clock& clock)
    : CachedTokenSource(clock), client_(std::move(client)), store_(store), transport_(transport) {}

Result<CachedTokenSource::Fetched> RefreshTokenSource::fetch() {
  auto stored = store_.load();
  if (!stored) return stored.error();
  if (!*stored || (*stored)->empty()) {
    return loginRequired("no delegated sign-in is stored for upgrades that need one");
  }
  const std::string& refreshToken = **stored;
  const WallTime requestedAt = clock_.now();
  auto reply = postIdentityForm(transport_, client_.tokenUrl, client_.timeout,
                                {{"grant_type", "refresh_token"},
                                 {"client_id", client_.clientId},
                                 {"refresh_token", refreshToken},
                                 {"scope", client_.scope}},
                                "the token endpoint", "[graph] token_url", {refreshToken});
  if (!reply) return reply.error();
  if (!reply->succeeded()) {
    Error e = identityError(*reply, clock_.now());
    if (e.kind == ErrorKind::kTransient) return e;
    const std::string detail = identityErrorDetail(*reply);
    if (needsSignIn(e.code)) {
      std::string reason = e.code;
      const std::string description = identityErrorDescription(*reply, {refreshToken});
      if (!description.empty()) reason += ": " + description;
      store_.invalidate(reason);
      Error login = loginRequired("the delegated sign-in stopped working " + detail);
      login.httpStatus = e.httpStatus;
      return login;
    }
    e.message = "the token endpoint refused the delegated refresh " + detail +
                ": check [graph] client_id and tenant and [delegated] scope";
    return e;
  }
  auto issued = issuedTokenFromReply(*reply);
  if (!issued) return issued.error();
  if (!issued->refreshToken.empty() && issued->refreshToken != refreshToken) {
    // Rotation: keep the newest refresh token. If it cannot be stored, hand out nothing: the old
    // refresh token stays valid (redeeming does not revoke it), so the next call simply redeems
    // it again and retries the save, instead of caching a token whose successor is lost.
    auto saved = store_.save(issued->refreshToken);
    if (!saved) {
      Error e = saved.error();
      e.message = redact(redact(std::move(e.message), issued->refreshToken), refreshToken);
      e.message = "could not store the rotated delegated refresh token: " + e.message;
      return e;
    }
  }
  return Fetched{std::move(issued->accessToken), tokenRefreshTime(requestedAt, issued->lifetime)};
}

}  // namespace appkeeper::graph
