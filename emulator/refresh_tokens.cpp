#include "emulator/refresh_tokens.h"

#include "emulator/ids.h"

namespace appkeeper::emulator {

RefreshTokenRegistry::RefreshTokenRegistry(Random& random) : random_(random) {}

std::string RefreshTokenRegistry::issue(RefreshGrant grant) {
  std::string bytes;
  for (int i = 0; i < 6; ++i) {
    uint64_t v = random_.below(UINT64_MAX);
    for (int b = 0; b < 8; ++b) bytes += static_cast<char>((v >> (8 * b)) & 0xff);
  }
  // Distinct from access tokens ("emu.") so a client that mixes them up gets a clear 401.
  std::string token = "emurt." + base64UrlEncode(bytes);
  std::lock_guard lock(mu_);
  while (tokens_.size() >= kMaxTokens && !order_.empty()) {
    tokens_.erase(order_.begin()->second);
    order_.erase(order_.begin());
  }
  Entry e;
  e.grant = std::move(grant);
  e.sequence = ++issued_;
  order_[e.sequence] = token;
  tokens_[token] = std::move(e);
  return token;
}

RefreshRedemption RefreshTokenRegistry::check(const std::string& token,
                                              const std::string& clientId) const {
  RefreshRedemption out;
  std::lock_guard lock(mu_);
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return out;  // kUnknown
  if (it->second.grant.clientId != clientId) {
    out.check = RefreshCheck::kOtherClient;
  } else if (it->second.revoked) {
    out.check = RefreshCheck::kRevoked;
  } else {
    out.check = RefreshCheck::kOk;
    out.grant = it->second.grant;
  }
  return out;
}

size_t RefreshTokenRegistry::revokeAll() {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (auto& [token, e] : tokens_) {
    if (!e.revoked) {
      e.revoked = true;
      ++n;
    }
  }
  return n;
}

size_t RefreshTokenRegistry::validCount() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [token, e] : tokens_) n += e.revoked ? 0 : 1;
  return n;
}

}  // namespace appkeeper::emulator
