// CredentialVault (daemon/credential_vault.h): AES-256-GCM sealing with OpenSSL EVP, and the
// delegated credential's life in the store.
#include "daemon/credential_vault.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "daemon/audit_outcomes.h"
#include "handlers/base64.h"

namespace appkeeper::daemon {
namespace {

constexpr const char* kPrefix = "v1.";
constexpr const char* kAssociatedData = "appkeeper refresh token v1";
constexpr size_t kKeyBytes = 32;
constexpr int kNonceBytes = 12;
constexpr int kTagBytes = 16;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

unsigned char* bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }
const unsigned char* bytes(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Error cannotOpen() {
  Error e = Error::permanent(
      "the stored delegated sign-in cannot be decrypted with [delegated] key_file (was the key "
      "changed?): run `appkeeper login`");
  // Only a new sign-in fixes it: workers treat it like a revoked refresh token.
  e.code = graph::kLoginRequiredCode;
  return e;
}

Status checkKey(const std::string& key) {
  if (key.size() != kKeyBytes) {
    return Error::invalidInput(
        "the [delegated] key must be 32 bytes (create one with "
        "`openssl rand -base64 32`)");
  }
  return Ok{};
}

}  // namespace

Result<std::string> sealSecret(const std::string& key, const std::string& plain) {
  if (auto k = checkKey(key); !k) return k.error();
  std::string nonce(kNonceBytes, '\0');
  if (RAND_bytes(bytes(nonce), kNonceBytes) != 1) {
    return Error::internal("cannot draw a random nonce from OpenSSL");
  }
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  std::string cipher(plain.size(), '\0');
  std::string tag(kTagBytes, '\0');
  int len = 0;
  const std::string aad = kAssociatedData;
  bool ok =
      ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key), bytes(nonce)) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(aad), static_cast<int>(aad.size())) == 1;
  int written = 0;
  if (ok && !plain.empty()) {
    ok = EVP_EncryptUpdate(ctx.get(), bytes(cipher), &len, bytes(plain),
                           static_cast<int>(plain.size())) == 1;
    written = len;
  }
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), bytes(cipher) + written, &len) == 1 &&
       EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, tag.data()) == 1;
  if (!ok) return Error::internal("OpenSSL could not seal the delegated sign-in");
  return std::string(kPrefix) + handlers::base64Encode(nonce + cipher + tag);
}

Result<std::string> openSecret(const std::string& key, const std::string& sealed) {
  if (auto k = checkKey(key); !k) return k.error();
  const std::string prefix = kPrefix;
  if (sealed.rfind(prefix, 0) != 0) return cannotOpen();
  auto raw = handlers::base64Decode(std::string_view(sealed).substr(prefix.size()));
  if (!raw || raw->size() < static_cast<size_t>(kNonceBytes + kTagBytes)) return cannotOpen();
  const std::string nonce = raw->substr(0, kNonceBytes);
  const std::string cipher =
      raw->substr(kNonceBytes, raw->size() - static_cast<size_t>(kNonceBytes + kTagBytes));
  std::string tag = raw->substr(raw->size() - kTagBytes);
  std::string plain(cipher.size(), '\0');
  const std::string aad = kAssociatedData;
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  bool ok =
      ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key), bytes(nonce)) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(aad), static_cast<int>(aad.size())) == 1;
  int written = 0;
  if (ok && !cipher.empty()) {
    ok = EVP_DecryptUpdate(ctx.get(), bytes(plain), &len, bytes(cipher),
                           static_cast<int>(cipher.size())) == 1;
    written = len;
  }
  // The tag check happens in Final: a wrong key or an edited byte fails here.
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
       EVP_DecryptFinal_ex(ctx.get(), bytes(plain) + written, &len) == 1;
  if (!ok) return cannotOpen();
  return plain;
}

CredentialVault::CredentialVault(std::string key, store::Store& store)
    : key_(std::move(key)), store_(store) {}

Result<std::optional<std::string>> CredentialVault::load() {
  std::lock_guard lock(mu_);
  auto credential = store_.delegatedCredential();
  if (!credential) return credential.error();
  if (!*credential || !(*credential)->invalidReason.empty() || (*credential)->sealed.empty()) {
    return std::optional<std::string>();
  }
  auto plain = openSecret(key_, (*credential)->sealed);
  if (!plain) return plain.error();
  return std::optional<std::string>(std::move(*plain));
}

Status CredentialVault::save(const std::string& refreshToken) {
  std::lock_guard lock(mu_);
  auto sealed = sealSecret(key_, refreshToken);
  if (!sealed) return sealed.error();
  store::DelegatedCredential credential;
  credential.sealed = std::move(*sealed);
  // A rotation keeps who signed in.
  if (auto current = store_.delegatedCredential(); current && *current) {
    credential.account = (*current)->account;
  }
  return store_.putDelegatedCredential(credential);
}

void CredentialVault::invalidate(const std::string& reason) {
  std::lock_guard lock(mu_);
  // Best effort: RefreshTokenSource reports the failure to the worker either way; the store
  // audits the reason when it can.
  (void)store_.invalidateDelegatedCredential(reason);
}

Result<size_t> CredentialVault::storeLogin(const graph::DelegatedGrant& grant) {
  if (grant.refreshToken.empty()) {
    return Error::permanent(
        "the identity platform issued no refresh token: add offline_access to [delegated] scope "
        "and run `appkeeper login` again");
  }
  std::lock_guard lock(mu_);
  auto sealed = sealSecret(key_, grant.refreshToken);
  if (!sealed) return sealed.error();
  store::DelegatedCredential credential;
  credential.sealed = std::move(*sealed);
  credential.account = grant.account;
  if (auto put = store_.putDelegatedCredential(credential); !put) return put.error();
  const std::string who = grant.account.empty() ? std::string("an unnamed account") : grant.account;
  store::AuditRecord audit;
  audit.event = kEventLogin;
  audit.outcome = kOutcomeSignedIn;
  audit.detail = "delegated sign-in stored for " + who;
  if (auto a = store_.appendAudit(audit); !a) return a.error();
  return store_.unblockAllJobs("delegated sign-in by " + who);
}

}  // namespace appkeeper::daemon
