// The emulator's throw-away TLS material, checked with OpenSSL's own verifier (no sockets).
#include "emulator/self_signed_cert.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <memory>

#include "fakes/temp_dir.h"

using namespace appkeeper::emulator;
using namespace std::chrono_literals;

namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using Cert = std::unique_ptr<X509, X509Free>;

Cert parse(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  return Cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// OpenSSL's verdict on `server` with `ca` as the only trust anchor, for `ip` at `when`.
int verify(const TlsMaterial& m, const std::string& ip, appkeeper::WallTime when) {
  Cert ca = parse(m.ca.certificatePem);
  Cert server = parse(m.server.certificatePem);
  REQUIRE(ca);
  REQUIRE(server);
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
  X509_STORE_add_cert(store.get(), ca.get());
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                      X509_STORE_CTX_free);
  X509_STORE_CTX_init(ctx.get(), store.get(), server.get(), nullptr);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set1_ip_asc(param, ip.c_str());
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  X509_VERIFY_PARAM_set_time(param, std::chrono::system_clock::to_time_t(when));
  X509_verify_cert(ctx.get());
  return X509_STORE_CTX_get_error(ctx.get());
}

}  // namespace

TEST_CASE("the generated server certificate chains to the generated CA for 127.0.0.1 and ::1",
          "[emulator][tls]") {
  const auto now = std::chrono::system_clock::now();
  auto m = generateTlsMaterial(loopbackCertificateSpec(now));
  REQUIRE(m);
  CHECK(verify(*m, "127.0.0.1", now) == X509_V_OK);
  CHECK(verify(*m, "::1", now) == X509_V_OK);
  CHECK(verify(*m, "10.0.0.1", now) == X509_V_ERR_IP_ADDRESS_MISMATCH);
  Cert server = parse(m->server.certificatePem);
  CHECK(X509_check_host(server.get(), "localhost", 0, 0, nullptr) == 1);
  CHECK(m->server.privateKeyPem.find("BEGIN PRIVATE KEY") != std::string::npos);
}

TEST_CASE("the generated certificates are valid for one day from five minutes ago",
          "[emulator][tls]") {
  const auto now = std::chrono::system_clock::now();
  auto m = generateTlsMaterial(loopbackCertificateSpec(now));
  REQUIRE(m);
  CHECK(verify(*m, "127.0.0.1", now - 4min) == X509_V_OK);
  CHECK(verify(*m, "127.0.0.1", now + 23h) == X509_V_OK);
  CHECK(verify(*m, "127.0.0.1", now + 25h) == X509_V_ERR_CERT_HAS_EXPIRED);
  CHECK(verify(*m, "127.0.0.1", now - 10min) == X509_V_ERR_CERT_NOT_YET_VALID);
}

TEST_CASE("two generations give two unrelated CAs", "[emulator][tls]") {
  const auto now = std::chrono::system_clock::now();
  auto a = generateTlsMaterial(loopbackCertificateSpec(now));
  auto b = generateTlsMaterial(loopbackCertificateSpec(now));
  REQUIRE(a);
  REQUIRE(b);
  TlsMaterial mixed{a->ca, b->server};
  CHECK(verify(mixed, "127.0.0.1", now) == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST_CASE("a spec with an IP entry that is not an address is refused", "[emulator][tls]") {
  CertificateSpec spec = loopbackCertificateSpec(std::chrono::system_clock::now());
  spec.ipAddresses = {"localhost"};
  auto m = generateTlsMaterial(spec);
  REQUIRE_FALSE(m);
  CHECK(m.error().kind == appkeeper::ErrorKind::kInvalidInput);
}

TEST_CASE("a key file is written readable by its owner only, even over a wider existing file",
          "[emulator][tls]") {
  appkeeper::testing::TempDir dir;
  const std::string path = dir.write("key.pem", "old");
  ::chmod(path.c_str(), 0644);
  REQUIRE(writePemFile(path, "-----BEGIN PRIVATE KEY-----\n", true));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK_FALSE(writePemFile(dir.file("missing/dir/key.pem"), "x", true));
}
