#include "emulator/self_signed_cert.h"

#include "common/openssl_pem.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>

namespace appkeeper::emulator {
namespace {

using namespace openssl;

// "cannot WHAT: <OpenSSL's errors>", for an error message.
std::string opensslError(const std::string& what) {
  const std::string details = drainErrors();
  return "cannot " + what + (details.empty() ? "" : ": " + details);
}

Result<KeyPtr> newKey() {
  KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return Error::internal(opensslError("generate an EC P-256 key"));
  return key;
}

Result<std::string> toPem(const std::function<int(BIO*)>& write, const std::string& what) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) return Error::internal(opensslError("encode " + what));
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

Status addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return Error::internal(
        opensslError(std::string("add the ") + OBJ_nid2sn(nid) + " extension '" + value + "'"));
  }
  return Ok{};
}

Status setValidity(X509* cert, WallTime notBefore, WallTime notAfter) {
  const std::time_t from = std::chrono::system_clock::to_time_t(notBefore);
  const std::time_t until = std::chrono::system_clock::to_time_t(notAfter);
  if (ASN1_TIME_set(X509_getm_notBefore(cert), from) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert), until) == nullptr) {
    return Error::internal(opensslError("set the validity period"));
  }
  return Ok{};
}

Status setRandomSerial(X509* cert) {
  BnPtr serial(BN_new());
  if (!serial || BN_rand(serial.get(), 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) == nullptr) {
    return Error::internal(opensslError("draw a serial number"));
  }
  return Ok{};
}

NamePtr nameWithCommonName(const std::string& commonName) {
  NamePtr name(X509_NAME_new());
  if (name && X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                                         reinterpret_cast<const unsigned char*>(commonName.c_str()),
                                         -1, -1, 0) != 1) {
    name.reset();
  }
  return name;
}

// A certificate for `key` named `commonName`; issued by (issuerName, issuerCert, issuerKey),
// or self-signed when issuerCert is null.
Result<CertPtr> makeCertificate(EVP_PKEY* key, const std::string& commonName, WallTime notBefore,
                                WallTime notAfter, X509* issuerCert, EVP_PKEY* issuerKey,
                                const std::vector<std::pair<int, std::string>>& extensions) {
  CertPtr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) {
    return Error::internal(opensslError("create a certificate"));
  }
  if (auto s = setRandomSerial(cert.get()); !s) return s.error();
  if (auto s = setValidity(cert.get(), notBefore, notAfter); !s) return s.error();
  NamePtr subject = nameWithCommonName(commonName);
  if (!subject || X509_set_subject_name(cert.get(), subject.get()) != 1 ||
      X509_set_issuer_name(cert.get(),
                           issuerCert ? X509_get_subject_name(issuerCert) : subject.get()) != 1 ||
      X509_set_pubkey(cert.get(), key) != 1) {
    return Error::internal(opensslError("name the certificate"));
  }
  X509* issuer = issuerCert ? issuerCert : cert.get();
  for (const auto& [nid, value] : extensions) {
    if (auto s = addExtension(cert.get(), issuer, nid, value); !s) return s.error();
  }
  if (X509_sign(cert.get(), issuerKey ? issuerKey : key, EVP_sha256()) <= 0) {
    return Error::internal(opensslError("sign the certificate"));
  }
  return cert;
}

Result<PemCertificate> toPemCertificate(X509* cert, EVP_PKEY* key) {
  PemCertificate out;
  auto certPem = toPem([&](BIO* b) { return PEM_write_bio_X509(b, cert); }, "the certificate");
  if (!certPem) return certPem.error();
  auto keyPem = toPem(
      [&](BIO* b) {
        return PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
      },
      "the private key");
  if (!keyPem) return keyPem.error();
  out.certificatePem = std::move(*certPem);
  out.privateKeyPem = std::move(*keyPem);
  return out;
}

bool isIpAddress(const std::string& text) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

}  // namespace

CertificateSpec loopbackCertificateSpec(WallTime now) {
  CertificateSpec spec;
  spec.dnsNames = {"localhost"};
  spec.ipAddresses = {"127.0.0.1", "::1"};
  spec.notBefore = now - std::chrono::minutes(5);
  spec.notAfter = now + std::chrono::hours(24);
  return spec;
}

Result<TlsMaterial> generateTlsMaterial(const CertificateSpec& spec) {
  std::string altNames;
  for (const auto& dns : spec.dnsNames) altNames += (altNames.empty() ? "DNS:" : ",DNS:") + dns;
  for (const auto& ip : spec.ipAddresses) {
    if (!isIpAddress(ip)) return Error::invalidInput("'" + ip + "' is not an IP address");
    altNames += (altNames.empty() ? "IP:" : ",IP:") + ip;
  }

  auto caKey = newKey();
  if (!caKey) return caKey.error();
  auto caCert = makeCertificate(caKey->get(), spec.commonName + " CA", spec.notBefore,
                                spec.notAfter, nullptr, nullptr,
                                {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                                 {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                 {NID_subject_key_identifier, "hash"}});
  if (!caCert) return caCert.error();

  auto serverKey = newKey();
  if (!serverKey) return serverKey.error();
  std::vector<std::pair<int, std::string>> extensions = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature"},
      {NID_ext_key_usage, "serverAuth"},
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid:always"}};
  if (!altNames.empty()) extensions.emplace_back(NID_subject_alt_name, altNames);
  auto serverCert = makeCertificate(serverKey->get(), spec.commonName, spec.notBefore,
                                    spec.notAfter, caCert->get(), caKey->get(), extensions);
  if (!serverCert) return serverCert.error();

  TlsMaterial out;
  auto ca = toPemCertificate(caCert->get(), caKey->get());
  if (!ca) return ca.error();
  auto server = toPemCertificate(serverCert->get(), serverKey->get());
  if (!server) return server.error();
  out.ca = std::move(*ca);
  out.server = std::move(*server);
  return out;
}

Status writePemFile(const std::string& path, const std::string& pem, bool secret) {
  const mode_t mode = secret ? 0600 : 0644;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    return Error::permanent("cannot write " + path + ": " + std::strerror(errno));
  }
  // An existing file keeps its old mode through O_TRUNC: set it, so a key never stays readable.
  bool ok = ::fchmod(fd, mode) == 0;
  size_t written = 0;
  while (ok && written < pem.size()) {
    const ssize_t n = ::write(fd, pem.data() + written, pem.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<size_t>(n);
  }
  const int savedErrno = errno;
  ok = (::close(fd) == 0) && ok;
  if (!ok) return Error::permanent("cannot write " + path + ": " + std::strerror(savedErrno));
  return Ok{};
}

}  // namespace appkeeper::emulator
