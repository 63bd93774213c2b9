#include "graph/tls_context.h"

#include <Poco/Exception.h>
#include <Poco/Net/NetSSL.h>
#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>

#include "common/poco_ssl_init.h"

namespace appkeeper::graph {
namespace {

thread_local std::optional<TlsVerifyFailure> tLastFailure;

bool isIpAddress(const std::string& host) {
  std::array<unsigned char, 16> buffer{};
  return inet_pton(AF_INET, host.c_str(), buffer.data()) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer.data()) == 1;
}

std::string ipText(const ASN1_OCTET_STRING* ip) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  const int length = ASN1_STRING_length(ip);
  const int family = length == 4 ? AF_INET : length == 16 ? AF_INET6 : 0;
  if (family == 0 || inet_ntop(family, ASN1_STRING_get0_data(ip), text.data(),
                               static_cast<socklen_t>(text.size())) == nullptr) {
    return "(unreadable IP address)";
  }
  return text.data();
}

// The subjectAltName DNS names and IP addresses, else the subject's common name.
std::string certifiedNames(X509* cert) {
  if (cert == nullptr) return "(no certificate)";
  std::string out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
      std::string text;
      if (name->type == GEN_DNS) {
        const ASN1_IA5STRING* dns = name->d.dNSName;
        text.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                    static_cast<size_t>(ASN1_STRING_length(dns)));
      } else if (name->type == GEN_IPADD) {
        text = ipText(name->d.iPAddress);
      } else {
        continue;
      }
      out += (out.empty() ? "" : ", ") + text;
    }
    GENERAL_NAMES_free(names);
  }
  if (out.empty()) {
    std::array<char, 256> cn{};
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn.data(),
                                  static_cast<int>(cn.size())) > 0) {
      out = std::string(cn.data()) + " (common name only)";
    } else {
      out = "no name at all";
    }
  }
  return out;
}

// Records OpenSSL's verdict and never changes it (a 0 ends the handshake with an alert).
int recordVerdict(int preverifyOk, X509_STORE_CTX* store) {
  if (preverifyOk != 1 && !tLastFailure) {
    TlsVerifyFailure failure;
    failure.code = X509_STORE_CTX_get_error(store);
    failure.reason = X509_verify_cert_error_string(failure.code);
    failure.nameMismatch = failure.code == X509_V_ERR_HOSTNAME_MISMATCH ||
                           failure.code == X509_V_ERR_IP_ADDRESS_MISMATCH;
    failure.untrustedIssuer = failure.code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
                              failure.code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
                              failure.code == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
                              failure.code == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
                              failure.code == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
    if (failure.nameMismatch)
      failure.certifiedNames = certifiedNames(X509_STORE_CTX_get0_cert(store));
    tLastFailure = std::move(failure);
  }
  return preverifyOk;
}

}  // namespace

void clearLastTlsVerifyFailure() { tLastFailure.reset(); }

std::optional<TlsVerifyFailure> lastTlsVerifyFailure() { return tLastFailure; }

Result<Poco::Net::Context::Ptr> makeClientTlsContext(const std::string& caFile,
                                                     const std::string& host) {
  initializeSslOnce();
  Poco::Net::Context::Ptr context;
  try {
    Poco::Net::Context::Params params;
    params.caLocation = caFile;
    params.loadDefaultCAs = true;
    params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
    params.verificationDepth = 9;
    params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES";
    context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    context->enableExtendedCertificateVerification(true);
  } catch (const Poco::Exception& e) {
    return Error::permanent("cannot set up TLS with CA file '" + caFile + "': " + e.displayText() +
                            "; check that the file exists and holds PEM certificates");
  }
  SSL_CTX* ssl = context->sslContext();
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  const int named = isIpAddress(host) ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                                      : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  if (named != 1) {
    return Error::permanent("cannot set up TLS host name verification for '" + host + "'");
  }
  SSL_CTX_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, recordVerdict);
  return context;
}

}  // namespace appkeeper::graph
