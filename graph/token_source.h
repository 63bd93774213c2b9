// TokenSource: where bearer tokens come from. ClientCredentialsTokenSource implements the
// identity platform's client-credentials grant (form POST to token_url with client_id, scope
// https://graph.microsoft.com/.default, client_secret, grant_type=client_credentials), caching
// the token until 5 minutes before expires_in runs out, or halfway through a shorter lifetime.
//
// Errors: invalid_client / unauthorized_client / invalid_grant / invalid_scope and other 4xx
// -> kPermanent with a message that says which setting to fix (never the secret or a token);
// 429/5xx/temporarily_unavailable/network -> kTransient carrying Retry-After when given.
// Thread contract: thread-safe; concurrent callers share one refresh (the mutex is held while
// the token endpoint is called, bounded by the transport timeout).
#pragma once

#include <chrono>
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
  // After Graph answered 401 to `rejected`: a token other than `rejected`. Sources that cache
  // override this so N workers hit by the same expiry share one refresh; the default simply
  // forces one.
  virtual Result<std::string> tokenAfterRejection(const std::string& rejected) {
    (void)rejected;
    return token(true);
  }
};

struct ClientCredentials {
  std::string tokenUrl;  // {tenant} already substituted
  std::string clientId;
  std::string clientSecret;  // a secret: never logged, never in an error message
  std::string scope = "https://graph.microsoft.com/.default";
  std::chrono::milliseconds timeout{30'000};
};

// The cache both token sources share: a token is reused until its refresh time, concurrent
// callers share one fetch (the mutex is held during it), and after a 401 a token other than the
// rejected one is handed out without a second fetch when another caller already got it.
class CachedTokenSource : public TokenSource {
 public:
  Result<std::string> token(bool forceRefresh = false) final;
  Result<std::string> tokenAfterRejection(const std::string& rejected) final;

 protected:
  explicit CachedTokenSource(const Clock& clock) : clock_(clock) {}
  struct Fetched {
    std::string accessToken;
    WallTime refreshAt;
  };
  // Gets a new token from the identity platform; called with the cache's lock held.
  virtual Result<Fetched> fetch() = 0;

  const Clock& clock_;

 private:
  Result<std::string> refresh();  // requires mu_

  std::mutex mu_;
  std::string token_;   // guarded by mu_
  WallTime refreshAt_;  // guarded by mu_
};

class ClientCredentialsTokenSource final : public CachedTokenSource {
 public:
  ClientCredentialsTokenSource(ClientCredentials creds, HttpTransport& transport,
                               const Clock& clock);

 private:
  Result<Fetched> fetch() override;

  ClientCredentials creds_;
  HttpTransport& transport_;
};

}  // namespace appkeeper::graph
