// ingest_signer: Standard Webhooks v1 signatures for the ingest benchmark's catalog events,
// made with OpenSSL directly (independent of handlers/standard_webhooks.*, which it exercises).
// Signed content is "{id}.{timestamp}.{body}", HMAC-SHA256 under the base64 key after "whsec_".
// Pure; thread-safe. Holds key material: never print it.
#pragma once

#include <string>

namespace appkeeper::bench {

class IngestSigner {
 public:
  // Throws std::invalid_argument when `secret` is not "whsec_<base64>" (a setup error of the
  // bench, reported by main).
  explicit IngestSigner(const std::string& secret);
  // "v1,<base64 of the HMAC>".
  std::string sign(const std::string& id, const std::string& timestamp,
                   const std::string& body) const;

 private:
  std::string key_;
};

// The secret file's first line, trailing blanks removed; throws std::runtime_error when it
// cannot be read.
std::string readSecretFile(const std::string& path);

}  // namespace appkeeper::bench
