// Delegated (signed-in admin) tokens for upgrades of apps that need resource-specific consent,
// which Graph refuses to app-only tokens (shared/graph-api.md Decision 3, section 4.2).
//
// DeviceCodeFlow is `appkeeper login`: POST {deviceCodeUrl} (client_id, scope) for a user code,
// then poll the token endpoint with grant_type=urn:ietf:params:oauth:grant-type:device_code at
// the server's interval (+5 s after slow_down) until the admin signs in, declines, or the code
// expires. RefreshTokenSource is what the workers use: it redeems the stored refresh token
// (grant_type=refresh_token, client_id, scope; a public client: no secret), caches the access
// token like ClientCredentialsTokenSource, and hands every NEW refresh token the identity
// platform returns to its RefreshTokenStore (rotation).
//
// Errors. Every failure that only a new sign-in can fix comes back kPermanent with
// Error::code == kLoginRequiredCode and a message that ends "run `appkeeper login`": no refresh
// token stored, invalid_grant, interaction_required, consent_required. The store is told first
// (RefreshTokenStore::invalidate) so the state is visible. DeviceCodeFlow: authorization_declined,
// expired_token, bad_verification_code -> kPermanent with a sentence saying what happened;
// 429/5xx/network -> kTransient (poll() keeps polling through them until the code expires).
// No token, refresh token or device code ever appears in a message.
//
// Thread contract: RefreshTokenSource is thread-safe (one refresh at a time, as in
// token_source.h). DeviceCodeFlow is used from one thread. Borrowed references outlive them.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "graph/http_transport.h"
#include "graph/sleeper.h"
#include "graph/token_source.h"

namespace appkeeper::graph {

// Error::code of every "the admin must run appkeeper login" failure.
inline constexpr const char* kLoginRequiredCode = "LoginRequired";

struct DelegatedClient {
  std::string tokenUrl;       // {tenant} already substituted
  std::string deviceCodeUrl;  // {tenant} already substituted
  std::string clientId;
  // Space-separated; include offline_access to get a refresh token.
  std::string scope =
      "https://graph.microsoft.com/TeamsAppInstallation.ReadWriteAndConsentForTeam "
      "offline_access openid profile";
  std::chrono::milliseconds timeout{30'000};
};

// What the admin is shown. deviceCode is a secret between us and the identity platform.
struct DeviceCodePrompt {
  std::string userCode;
  std::string verificationUri;
  std::string message;  // the identity platform's own instruction sentence
  std::string deviceCode;
  std::chrono::seconds expiresIn{900};
  std::chrono::seconds interval{5};
};

struct DelegatedGrant {
  std::string accessToken;
  std::string refreshToken;  // empty when offline_access was not granted
  std::string scope;
  std::string account;  // preferred_username / upn from the id_token when present, else ""
  std::chrono::seconds expiresIn{3600};
};

class DeviceCodeFlow {
 public:
  DeviceCodeFlow(DelegatedClient client, HttpTransport& transport, const Clock& clock,
                 Sleeper& sleeper);
  Result<DeviceCodePrompt> start();
  // Polls until a grant, a final error, the code's expiry (kPermanent "the code expired") or a
  // cancelled Sleeper (kTransient, code kCancelledCode). `onPending` (may be empty) is called
  // after each authorization_pending answer, for progress output.
  Result<DelegatedGrant> poll(const DeviceCodePrompt& prompt,
                              const std::function<void()>& onPending = {});

 private:
  DelegatedClient client_;
  HttpTransport& transport_;
  const Clock& clock_;
  Sleeper& sleeper_;
};

// Where the refresh token lives between runs (the daemon seals it in its store).
class RefreshTokenStore {
 public:
  virtual ~RefreshTokenStore() = default;
  // The current refresh token; nullopt when nobody signed in (or it was invalidated).
  virtual Result<std::optional<std::string>> load() = 0;
  // A rotated refresh token replaces the old one.
  virtual Status save(const std::string& refreshToken) = 0;
  // The token stopped working (`reason` is safe to show: error code and description).
  virtual void invalidate(const std::string& reason) = 0;
};

class RefreshTokenSource final : public CachedTokenSource {
 public:
  RefreshTokenSource(DelegatedClient client, RefreshTokenStore& store, HttpTransport& transport,
                     const Clock& clock);

 private:
  Result<Fetched> fetch() override;

  DelegatedClient client_;
  RefreshTokenStore& store_;
  HttpTransport& transport_;
};

}  // namespace appkeeper::graph
