#include "handlers/hmac.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace appkeeper::handlers {
namespace {

// OpenSSL's one-shot functions, not Poco::Crypto::DigestEngine: every Poco engine holds a
// reference on Poco's OpenSSL initialiser, and when the last one is destroyed while no other
// Poco crypto object lives (an http:// Graph URL, so no TLS context), the initialiser tears down
// OpenSSL's locks under the feet of other threads hashing at that moment — a crash the ingest
// benchmark hit under load. The one-shot calls keep no shared state.
constexpr size_t kSha256Size = 32;

std::string sha256(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  // Cannot fail for SHA-256 with a valid buffer; if it ever did, the empty result makes
  // constantTimeEquals fail closed.
  if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1 ||
      size != kSha256Size) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(digest.data()), size);
}

}  // namespace

std::string hmacSha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(),
           &size) == nullptr) {
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
