// CredentialVault: keeps the delegated refresh token of `appkeeper login` in the store, sealed
// with AES-256-GCM under the 32-byte key of [delegated] key_file.
//
// Why the store and not a 0600 file: the database is the daemon's one piece of state (backed
// up, migrated, inspected together), and sealing means a copied database or backup holds no
// usable token; the key stays in a credentials file that systemd can keep encrypted at rest
// (systemd-creds) and that the inspection commands never read. GCM authenticates, so a
// tampered or wrongly keyed record is refused, not decrypted into garbage.
//
// Sealed text: "v1." + base64(12-byte random nonce || ciphertext || 16-byte tag); the
// associated data binds it to its purpose ("appkeeper refresh token v1").
//
// Errors: a record that does not open with this key -> kPermanent "the stored delegated sign-in
// cannot be decrypted with [delegated] key_file (was the key changed?): run `appkeeper login`";
// store errors pass through. Never puts the token or the key in a message.
// Thread contract: load/save/invalidate may be called from any thread (RefreshTokenSource
// serialises them); the borrowed Store is used only under the vault's own mutex, so give it a
// connection of its own. Borrowed references must outlive the vault.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "graph/delegated_tokens.h"
#include "store/store.h"

namespace appkeeper::daemon {

// Pure helpers (tests, and the vault): `key` must be 32 bytes.
Result<std::string> sealSecret(const std::string& key, const std::string& plain);
Result<std::string> openSecret(const std::string& key, const std::string& sealed);

class CredentialVault final : public graph::RefreshTokenStore {
 public:
  CredentialVault(std::string key, store::Store& store);

  Result<std::optional<std::string>> load() override;
  Status save(const std::string& refreshToken) override;
  void invalidate(const std::string& reason) override;

  // After a successful `appkeeper login`: store the sealed refresh token and the account,
  // audit "signed-in", and release every blocked job (they may need exactly this). Returns how
  // many jobs were released.
  Result<size_t> storeLogin(const graph::DelegatedGrant& grant);

 private:
  std::string key_;
  store::Store& store_;
  std::mutex mu_;
};

}  // namespace appkeeper::daemon
