// RefreshTokenRegistry: the refresh tokens the emulated identity platform issued with delegated
// grants (device code with offline_access, and every refresh). As the identity platform does,
// a redeemed refresh token is answered with a new one and the old one stays valid (rotation
// without revocation, shared/graph-api.md §4.2); revokeAll() is the admin's "revoke sessions",
// after which every earlier token gets invalid_grant.
//
// Borrows a Random (token bytes), which must outlive the registry.
// Thread-safety: every member is thread-safe (one mutex).
// Memory: at most kMaxTokens are kept (the oldest go first); revoked ones count too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/random.h"

namespace appkeeper::emulator {

// Whom a refresh token signs in, and for what.
struct RefreshGrant {
  std::string tenantId;
  std::string clientId;
  std::string user;   // the approving user's sign-in name
  std::string scope;  // as granted, space-separated
};

enum class RefreshCheck { kOk, kUnknown, kRevoked, kOtherClient };

struct RefreshRedemption {
  RefreshCheck check = RefreshCheck::kUnknown;
  std::optional<RefreshGrant> grant;  // set when kOk
};

class RefreshTokenRegistry {
 public:
  static constexpr size_t kMaxTokens = 100'000;

  explicit RefreshTokenRegistry(Random& random);

  std::string issue(RefreshGrant grant);
  // Whether `token` may be redeemed by `clientId` (refresh tokens are bound to their client).
  RefreshRedemption check(const std::string& token, const std::string& clientId) const;
  // Every token issued so far stops working; returns how many were valid. Tokens issued later
  // (a new sign-in) work again.
  size_t revokeAll();
  size_t validCount() const;

 private:
  struct Entry {
    RefreshGrant grant;
    uint64_t sequence = 0;
    bool revoked = false;
  };

  Random& random_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> tokens_;  // guarded by mu_
  std::map<uint64_t, std::string> order_;          // sequence -> token; guarded by mu_
  uint64_t issued_ = 0;                            // guarded by mu_
};

}  // namespace appkeeper::emulator
