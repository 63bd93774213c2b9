// OpenSSL handles owned by unique_ptr, PEM parsing from memory, and the error queue as text: the
// pieces both certificate-handling parts need (the emulator's self-signed CA and TLS contexts,
// the daemon's TLS listener). Header-only, so common/ itself does not link OpenSSL: the user
// links OpenSSL::Crypto. Thread-safe (OpenSSL's error queue is per thread).
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <vector>

namespace appkeeper::openssl {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;

// The queued OpenSSL errors of this thread, oldest first, joined by "; " (the queue is emptied);
// empty when there were none.
inline std::string drainErrors() {
  std::string text;
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(e, buffer, sizeof buffer);
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text;
}

// The most specific (last) of this thread's queued errors, for an error message; the queue is
// emptied.
inline std::string lastError() {
  const std::string all = drainErrors();
  if (all.empty()) return "no details from OpenSSL";
  const size_t sep = all.rfind("; ");
  return sep == std::string::npos ? all : all.substr(sep + 2);
}

// An encrypted key must fail instead of OpenSSL prompting on the terminal.
inline int noPassphrase(char*, int, int, void*) { return 0; }

inline BioPtr memoryBio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Every certificate in `pem`, in order (empty when there is none).
inline std::vector<CertPtr> readCertificates(const std::string& pem) {
  std::vector<CertPtr> out;
  BioPtr bio = memoryBio(pem);
  // Bounded by the input: each read consumes one PEM block.
  while (bio) {
    CertPtr cert(PEM_read_bio_X509(bio.get(), nullptr, noPassphrase, nullptr));
    if (!cert) break;
    out.push_back(std::move(cert));
  }
  ERR_clear_error();  // the read that ended the loop left "no start line"
  return out;
}

// The first unencrypted private key in `pem`; null (errors queued) when there is none.
inline KeyPtr readPrivateKey(const std::string& pem) {
  BioPtr bio = memoryBio(pem);
  return KeyPtr(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassphrase, nullptr)
                    : nullptr);
}

}  // namespace appkeeper::openssl
