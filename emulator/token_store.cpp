#include "emulator/token_store.h"

#include <cctype>

#include "emulator/ids.h"

namespace appkeeper::emulator {

TokenStore::TokenStore(const Clock& clock, Random& random) : clock_(clock), random_(random) {}

std::string TokenStore::issue(TokenRecord record) {
  std::string bytes;
  for (int i = 0; i < 4; ++i) {
    uint64_t v = random_.below(UINT64_MAX);
    for (int b = 0; b < 8; ++b) bytes += static_cast<char>((v >> (8 * b)) & 0xff);
  }
  // A recognisable prefix helps when reading logs of the emulator's clients (never the token).
  std::string token = "emu." + base64UrlEncode(bytes);
  std::lock_guard lock(mu_);
  if (++issued_ % 256 == 0 || tokens_.size() >= kMaxTokens) purge();
  tokens_[token] = std::move(record);
  return token;
}

TokenValidation TokenStore::validate(std::string_view header) const {
  TokenValidation out;
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  if (header.empty()) return out;  // kMissing
  constexpr std::string_view kBearer = "bearer ";
  if (header.size() <= kBearer.size()) {
    out.check = TokenCheck::kMalformed;
    return out;
  }
  for (size_t i = 0; i < kBearer.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kBearer[i]) {
      out.check = TokenCheck::kMalformed;
      return out;
    }
  }
  std::string token(header.substr(kBearer.size()));
  while (!token.empty() && token.back() == ' ') token.pop_back();
  if (token.empty()) return out;  // "Bearer " alone is an empty token
  std::lock_guard lock(mu_);
  auto it = tokens_.find(token);
  if (it == tokens_.end()) {
    out.check = TokenCheck::kUnknown;
    return out;
  }
  if (clock_.now() >= it->second.expiresAt) {
    out.check = TokenCheck::kExpired;
    return out;
  }
  out.check = TokenCheck::kOk;
  out.record = it->second;
  return out;
}

size_t TokenStore::expireAll() {
  std::lock_guard lock(mu_);
  const WallTime now = clock_.now();
  size_t live = 0;
  for (auto& [token, record] : tokens_) {
    if (record.expiresAt > now) {
      ++live;
      record.expiresAt = now;
    }
  }
  return live;
}

size_t TokenStore::size() const {
  std::lock_guard lock(mu_);
  return tokens_.size();
}

void TokenStore::purge() {
  const WallTime cutoff = clock_.now() - std::chrono::hours(1);
  for (auto it = tokens_.begin(); it != tokens_.end();) {
    it = it->second.expiresAt < cutoff ? tokens_.erase(it) : std::next(it);
  }
  // Still full of live tokens (a client that never caches them): drop arbitrary ones.
  while (tokens_.size() >= kMaxTokens) tokens_.erase(tokens_.begin());
}

}  // namespace appkeeper::emulator
