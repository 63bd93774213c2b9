#include "handlers/hmac.h"

#include <Poco/Crypto/DigestEngine.h>
#include <Poco/HMACEngine.h>

namespace appkeeper::handlers {
namespace {

// Poco's HMACEngine needs the block and digest sizes as constants, which the OpenSSL-backed
// Crypto::DigestEngine (named at run time) does not carry.
class Sha256Engine : public Poco::Crypto::DigestEngine {
 public:
  enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
  Sha256Engine() : Poco::Crypto::DigestEngine("SHA256") {}
};

std::string toString(const Poco::DigestEngine::Digest& d) {
  return std::string(d.begin(), d.end());
}

std::string sha256(std::string_view data) {
  Sha256Engine engine;
  engine.update(data.data(), data.size());
  return toString(engine.digest());
}

}  // namespace

std::string hmacSha256(std::string_view key, std::string_view data) {
  Poco::HMACEngine<Sha256Engine> engine(key.data(), key.size());
  engine.update(data.data(), data.size());
  return toString(engine.digest());
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
  const std::string da = sha256(a);
  const std::string db = sha256(b);
  // volatile keeps the compiler from turning the loop into an early-exit memcmp.
  volatile unsigned char diff = 0;
  for (size_t i = 0; i < da.size(); ++i) {
    diff = static_cast<unsigned char>(
        diff | (static_cast<unsigned char>(da[i]) ^ static_cast<unsigned char>(db[i])));
  }
  return diff == 0;
}

}  // namespace appkeeper::handlers
