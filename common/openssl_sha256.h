// OpenSSL 3's SHA-256 algorithm, fetched once per process. EVP_sha256() handed to EVP_Digest
// looks the algorithm up in the provider registry on every call (a locked lookup), which showed
// in the profiles of ingest, where every delivery hashes its audit record and compares its
// secrets by digest. The fetched algorithm is immutable and shared by all threads; it is never
// freed, like OpenSSL's own defaults. Header-only, so common/ itself does not link OpenSSL: the
// user links OpenSSL::Crypto.
#pragma once

#include <openssl/evp.h>

namespace appkeeper {

// nullptr only when OpenSSL has no SHA-256 (a broken installation).
inline const EVP_MD* sha256Algorithm() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

}  // namespace appkeeper
