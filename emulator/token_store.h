// TokenStore: the access tokens the emulator's token endpoint issued. Tokens are opaque random
// strings (not JWTs); a record says who the token is for. Only app-only tokens (client
// credentials) are issued today; `kind` and the user fields leave room for delegated tokens.
//
// Borrows a Clock (expiry) and a Random (token bytes); both must outlive the store.
// Thread-safety: every member is thread-safe (one mutex).
// Memory: records are dropped an hour after they expire (until then an expired token is
// answered as expired, after it as unknown), and at most kMaxTokens are kept.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"
#include "common/random.h"

namespace appkeeper::emulator {

enum class TokenKind { kApp, kDelegated };

struct TokenRecord {
  TokenKind kind = TokenKind::kApp;
  std::string tenantId;
  std::string clientId;
  std::string userId;  // delegated tokens only
  std::string scope;   // as granted, e.g. "https://graph.microsoft.com/.default"
  WallTime expiresAt{};
};

enum class TokenCheck { kOk, kMissing, kMalformed, kUnknown, kExpired };

struct TokenValidation {
  TokenCheck check = TokenCheck::kMissing;
  std::optional<TokenRecord> record;  // set when kOk
};

class TokenStore {
 public:
  static constexpr size_t kMaxTokens = 100'000;

  TokenStore(const Clock& clock, Random& random);

  // Stores the record and returns the new token.
  std::string issue(TokenRecord record);
  // From an Authorization header value ("Bearer <token>", scheme case-insensitive).
  TokenValidation validate(std::string_view authorizationHeader) const;
  // Makes every issued token expired now; returns how many were live.
  size_t expireAll();
  size_t size() const;

 private:
  void purge();  // requires mu_

  const Clock& clock_;
  Random& random_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, TokenRecord> tokens_;  // guarded by mu_
  uint64_t issued_ = 0;                                  // guarded by mu_
};

}  // namespace appkeeper::emulator
