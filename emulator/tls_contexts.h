// The emulator's two TLS configurations (Poco NetSSL over OpenSSL), internal to the emulator:
//  - the server side of `--tls`: a certificate chain and key given as PEM text, TLS 1.2 or
//    newer, no client certificates;
//  - the client side of https notification deliveries: the system trust store plus an optional
//    CA file (`--notify-ca-file`), peer certificate and host name always verified, TLS 1.2+.
//    OpenSSL's verdict is final: the verify callback never overrides it and nothing is
//    registered with Poco's SSLManager, so no certificate handler can accept a bad certificate.
// OpenSSL/Poco SSL is initialised once per process, thread-safely. Contexts are immutable once
// made and may be shared between threads.
//
// Errors: unreadable or malformed files and PEM text -> kInvalidInput naming the file or part.
#pragma once

#include <Poco/Net/Context.h>

#include <string>

#include "common/result.h"

namespace appkeeper::emulator {

struct ServerTlsMaterial {
  std::string certificateChainPem;  // the server certificate first, then intermediates
  std::string privateKeyPem;        // unencrypted (PKCS#8 or traditional)
};

// Reads `--tls-cert` and `--tls-key`.
Result<ServerTlsMaterial> readServerTlsFiles(const std::string& certFile,
                                             const std::string& keyFile);
// The last certificate of a PEM chain (the one closest to the root): what `--tls-ca-out` writes
// when the certificate came from `--tls-cert`.
Result<std::string> lastCertificatePem(const std::string& chainPem);

Result<Poco::Net::Context::Ptr> makeServerTlsContext(const ServerTlsMaterial& material);
Result<Poco::Net::Context::Ptr> makeDeliveryTlsContext(const std::string& caFile);

}  // namespace appkeeper::emulator
