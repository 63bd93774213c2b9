#include "emulator/tls_contexts.h"

#include "common/openssl_pem.h"
#include "common/poco_ssl_init.h"

#include <Poco/Exception.h>
#include <Poco/Net/NetSSL.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

namespace appkeeper::emulator {
namespace {

using namespace openssl;

Result<std::string> readFile(const std::string& path, const std::string& option) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::invalidInput("cannot read " + option + " " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Certificate verification is OpenSSL's alone: this replaces Poco's callback, which would ask
// SSLManager's certificate handlers (possibly an accept-all or console one) to overrule it.
int keepOpensslVerdict(int preverifyOk, X509_STORE_CTX*) { return preverifyOk; }

}  // namespace

Result<ServerTlsMaterial> readServerTlsFiles(const std::string& certFile,
                                             const std::string& keyFile) {
  auto cert = readFile(certFile, "--tls-cert");
  if (!cert) return cert.error();
  auto key = readFile(keyFile, "--tls-key");
  if (!key) return key.error();
  return ServerTlsMaterial{std::move(*cert), std::move(*key)};
}

Result<std::string> lastCertificatePem(const std::string& chainPem) {
  auto certs = readCertificates(chainPem);
  if (certs.empty()) return Error::invalidInput("no PEM certificate found");
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_X509(out.get(), certs.back().get()) != 1) {
    return Error::internal("cannot encode a certificate: " + lastError());
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

Result<Poco::Net::Context::Ptr> makeServerTlsContext(const ServerTlsMaterial& material) {
  initializeSslOnce();
  auto certs = readCertificates(material.certificateChainPem);
  if (certs.empty()) return Error::invalidInput("the TLS certificate holds no PEM certificate");
  KeyPtr key = readPrivateKey(material.privateKeyPem);
  if (!key) {
    return Error::invalidInput("the TLS key is not an unencrypted PEM private key (" +
                               lastError() + ")");
  }
  try {
    Poco::Net::Context::Params params;
    params.verificationMode = Poco::Net::Context::VERIFY_NONE;  // no client certificates
    params.loadDefaultCAs = false;
    params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES";
    Poco::Net::Context::Ptr context(
        new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params));
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    SSL_CTX* ssl = context->sslContext();
    if (SSL_CTX_use_certificate(ssl, certs.front().get()) != 1) {
      return Error::invalidInput("the TLS certificate cannot be used: " + lastError());
    }
    for (size_t i = 1; i < certs.size(); ++i) {
      if (SSL_CTX_add1_chain_cert(ssl, certs[i].get()) != 1) {
        return Error::invalidInput("the TLS certificate chain cannot be used: " +
                                   lastError());
      }
    }
    if (SSL_CTX_use_PrivateKey(ssl, key.get()) != 1 || SSL_CTX_check_private_key(ssl) != 1) {
      return Error::invalidInput("the TLS key does not match the certificate (" +
                                 lastError() + ")");
    }
    return context;
  } catch (const Poco::Exception& e) {
    return Error::internal("cannot set up the TLS server: " + e.displayText());
  }
}

// The same policy as appkeeper's client (graph/tls_context.cpp) but written separately on
// purpose: the emulator is the reference the client is tested against, so it must not inherit
// a mistake of the code under test.
Result<Poco::Net::Context::Ptr> makeDeliveryTlsContext(const std::string& caFile) {
  initializeSslOnce();
  try {
    Poco::Net::Context::Params params;
    params.caLocation = caFile;
    params.loadDefaultCAs = true;
    params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
    params.verificationDepth = 9;
    params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES";
    Poco::Net::Context::Ptr context(
        new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params));
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    // Host name (or IP) checked against the certificate after the handshake, before any byte
    // of the request; VERIFY_STRICT makes Poco check it for localhost too.
    context->enableExtendedCertificateVerification(true);
    SSL_CTX_set_verify(context->sslContext(), SSL_CTX_get_verify_mode(context->sslContext()),
                       keepOpensslVerdict);
    return context;
  } catch (const Poco::Exception& e) {
    return Error::invalidInput("cannot load --notify-ca-file '" + caFile + "': " + e.displayText() +
                               "; it must exist and hold PEM certificates");
  }
}

}  // namespace appkeeper::emulator
