// A verifying HTTPS client for tests of appkeeper's TLS listener (unit and integration): it
// trusts only the given CA file (chain and host name checked, TLS 1.2+) and reports which
// certificate the server presented. Header-only (Poco NetSSL, OpenSSL). Throws Poco exceptions
// on transport or verification failures.
#pragma once

#include <Poco/Crypto/X509Certificate.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/X509Certificate.h>
#include <Poco/StreamCopier.h>
#include <openssl/bn.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace appkeeper::testing::tls {

inline Poco::Net::Context::Ptr verifyingContext(const std::string& caFile) {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
  Poco::Net::Context::Params params;
  params.caLocation = caFile;
  params.loadDefaultCAs = false;
  params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
  Poco::Net::Context::Ptr context =
      new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
  context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
  context->enableExtendedCertificateVerification(true);
  return context;
}

// Hexadecimal, as OpenSSL's BN_bn2hex writes it (what the listener reports).
inline std::string serialHex(const Poco::Crypto::X509Certificate& cert) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.certificate());
  BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
  char* hex = bn ? BN_bn2hex(bn) : nullptr;
  std::string out = hex ? hex : "";
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

struct Served {
  int status = 0;
  std::string body;
  std::string commonName;  // of the certificate the server presented
  std::string serial;      // hexadecimal
};

// One keep-alive HTTPS connection (reconnects only if the server closed it).
class Connection {
 public:
  Connection(const std::string& host, uint16_t port, const std::string& caFile)
      : session_(host, port, verifyingContext(caFile)) {
    session_.setKeepAlive(true);
    session_.setTimeout(Poco::Timespan(10, 0));
  }

  Served get(const std::string& path) {
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setKeepAlive(true);
    session_.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& in = session_.receiveResponse(response);
    Served served;
    Poco::StreamCopier::copyToString(in, served.body);
    served.status = static_cast<int>(response.getStatus());
    const Poco::Net::X509Certificate cert = session_.serverCertificate();
    served.commonName = cert.commonName();
    served.serial = serialHex(cert);
    return served;
  }

 private:
  Poco::Net::HTTPSClientSession session_;
};

// GET on a new connection.
inline Served getOnce(const std::string& host, uint16_t port, const std::string& path,
                      const std::string& caFile) {
  Connection connection(host, port, caFile);
  return connection.get(path);
}

}  // namespace appkeeper::testing::tls
