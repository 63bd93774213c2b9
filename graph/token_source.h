// TokenSource: where bearer tokens come from. ClientCredentialsTokenSource implements the
// identity platform's client-credentials grant (form POST to token_url with client_id, scope
// https://graph.microsoft.com/.default, client_secret, grant_type=client_credentials), caching
// the token until shortly (5 min, or 10% of a short lifetime) before expires_in runs out.
//
// Errors: invalid_client / unauthorized_client / invalid_grant -> kPermanent with a message that
// says which setting to fix (never the secret); 429/5xx/network -> kTransient.
// Thread contract: thread-safe; concurrent callers share one refresh.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "graph/http_transport.h"

namespace appkeeper::graph {

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // A valid access token. `forceRefresh` discards the cached one (after a 401).
  virtual Result<std::string> token(bool forceRefresh = false) = 0;
};

struct ClientCredentials {
  std::string tokenUrl;  // {tenant} already substituted
  std::string clientId;
  std::string clientSecret;  // a secret: never logged, never in an error message
  std::string scope = "https://graph.microsoft.com/.default";
};

class ClientCredentialsTokenSource final : public TokenSource {
 public:
  ClientCredentialsTokenSource(ClientCredentials creds, HttpTransport& transport,
                               const Clock& clock);
  Result<std::string> token(bool forceRefresh = false) override;

 private:
  ClientCredentials creds_;
  HttpTransport& transport_;
  const Clock& clock_;
  std::mutex mu_;
  std::string token_;  // guarded by mu_
  WallTime refreshAt_;  // guarded by mu_
};

}  // namespace appkeeper::graph
