#include "graph/token_source.h"

#include "graph/identity_form.h"

namespace appkeeper::graph {
namespace {

// The identity platform's classification, with a message naming the [graph] setting to fix.
Error tokenError(const IdentityReply& reply, WallTime now) {
  Error e = identityError(reply, now);
  if (e.kind == ErrorKind::kTransient) return e;
  const std::string detail = identityErrorDetail(reply);
  if (e.code == "invalid_client") {
    e.message =
        "the token endpoint rejected the client credentials (invalid_client): check [graph] "
        "client_id and the secret in client_secret_file";
  } else if (e.code == "unauthorized_client") {
    e.message =
        "the token endpoint refused the client (unauthorized_client): check [graph] client_id "
        "and that the app is registered in the tenant of the token URL";
  } else if (e.code == "invalid_scope") {
    e.message = "the token endpoint rejected the scope " + detail +
                ": the scope must be https://graph.microsoft.com/.default";
  } else if (e.code == "invalid_grant") {
    e.message = "the token endpoint rejected the grant " + detail +
                ": check [graph] client_id, the client secret and the tenant";
  } else {
    e.message = "the token endpoint refused the request " + detail +
                ": check the [graph] tenant, client_id and client_secret_file settings";
  }
  return e;
}

}  // namespace

ClientCredentialsTokenSource::ClientCredentialsTokenSource(ClientCredentials creds,
                                                           HttpTransport& transport,
                                                           const Clock& clock)
    : CachedTokenSource(clock), creds_(std::move(creds)), transport_(transport) {}

Result<std::string> CachedTokenSource::token(bool forceRefresh) {
  std::lock_guard lock(mu_);
  if (!forceRefresh && !token_.empty() && clock_.now() < refreshAt_) return token_;
  return refresh();
}

Result<std::string> CachedTokenSource::tokenAfterRejection(const std::string& rejected) {
  std::lock_guard lock(mu_);
  // Another caller already replaced the rejected token while we waited for the lock.
  if (!token_.empty() && token_ != rejected && clock_.now() < refreshAt_) return token_;
  return refresh();
}

Result<std::string> CachedTokenSource::refresh() {
  token_.clear();
  auto fetched = fetch();
  if (!fetched) return fetched.error();
  token_ = std::move(fetched->accessToken);
  refreshAt_ = fetched->refreshAt;
  return token_;
}

Result<CachedTokenSource::Fetched> ClientCredentialsTokenSource::fetch() {
  const WallTime requestedAt = clock_.now();
  auto reply = postIdentityForm(transport_, creds_.tokenUrl, creds_.timeout,
                                {{"client_id", creds_.clientId},
                                 {"scope", creds_.scope},
                                 {"client_secret", creds_.clientSecret},
                                 {"grant_type", "client_credentials"}},
                                "the token endpoint", "[graph] token_url", {creds_.clientSecret});
  if (!reply) return reply.error();
  if (!reply->succeeded()) return tokenError(*reply, clock_.now());
  auto issued = issuedTokenFromReply(*reply);
  if (!issued) return issued.error();
  return Fetched{std::move(issued->accessToken), tokenRefreshTime(requestedAt, issued->lifetime)};
}

}  // namespace appkeeper::graph
