#include "handlers/hmac.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <memory>

#include "common/openssl_sha256.h"

namespace appkeeper::handlers {
namespace {

// OpenSSL's EVP calls, not Poco::Crypto::DigestEngine: every Poco engine holds a reference on
// Poco's OpenSSL initialiser, and when the last one is destroyed while no other Poco crypto
// object lives (an http:// Graph URL, so no TLS context), the initialiser tears down OpenSSL's
// locks under the feet of other threads hashing at that moment — a crash the ingest benchmark
// hit under load. What is kept here (the fetched algorithms, a context per thread) is OpenSSL's
// own state and is never torn down while the process lives.
constexpr size_t kSha256Size = 32;

struct MacContextFree {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};
using MacContext = std::unique_ptr<EVP_MAC_CTX, MacContextFree>;

// This thread's HMAC-SHA256 context (a context is not thread-safe), its digest set once; null
// when OpenSSL cannot make one. The one-shot HMAC() looked the MAC and its digest up in the
// provider registry on every call (common/openssl_sha256.h says why that matters).
EVP_MAC_CTX* hmacContext() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  thread_local const MacContext context = [] {
    MacContext c(mac != nullptr ? EVP_MAC_CTX_new(mac) : nullptr);
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end()};
    if (c && EVP_MAC_CTX_set_params(c.get(), params) != 1) c.reset();
    return c;
  }();
  return context.get();
}

std::string sha256(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  const EVP_MD* md = sha256Algorithm();
  // Cannot fail for SHA-256 with a valid buffer; if it ever did, the empty result makes
  // constantTimeEquals fail closed.
  if (md == nullptr ||
      EVP_Digest(data.data(), data.size(), digest.data(), &size, md, nullptr) != 1 ||
      size != kSha256Size) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(digest.data()), size);
}

}  // namespace

std::string hmacSha256(std::string_view key, std::string_view data) {
  EVP_MAC_CTX* context = hmacContext();
  if (context == nullptr) return {};
  // Never a null key: EVP_MAC_init with none keeps the key of this thread's previous call.
  static const unsigned char kEmptyKey = 0;
  const auto* keyBytes =
      key.empty() ? &kEmptyKey : reinterpret_cast<const unsigned char*>(key.data());
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  size_t size = 0;
  if (EVP_MAC_init(context, keyBytes, key.size(), nullptr) != 1 ||
      EVP_MAC_update(context, reinterpret_cast<const unsigned char*>(data.data()), data.size()) !=
          1 ||
      EVP_MAC_final(context, mac.data(), &size, mac.size()) != 1) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(mac.data()), size);
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
  const std::string da = sha256(a);
  const std::string db = sha256(b);
  // A failed digest (empty) never matches: fail closed.
  if (da.size() != kSha256Size || db.size() != kSha256Size) return false;
  // volatile keeps the compiler from turning the loop into an early-exit memcmp.
  volatile unsigned char diff = 0;
  for (size_t i = 0; i < da.size(); ++i) {
    diff = static_cast<unsigned char>(
        diff | (static_cast<unsigned char>(da[i]) ^ static_cast<unsigned char>(db[i])));
  }
  return diff == 0;
}

}  // namespace appkeeper::handlers
