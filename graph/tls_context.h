// The one TLS client configuration appkeeper uses (internal to the graph module). A context is
// made for one host: TLS 1.2 or newer; trust = the system store plus an optional extra CA file
// ([graph] ca_file); the peer's chain and its name (DNS name, or IP address for an IP host) are
// verified by OpenSSL *inside* the handshake (VERIFY_STRICT + X509_VERIFY_PARAM host), so a
// peer that fails either never receives a byte of the request. OpenSSL's verdict is final: the
// verify callback only records it, and nothing is registered with Poco's SSLManager (whose
// certificate handlers could otherwise accept a rejected certificate or prompt on a console).
// Poco's own post-handshake host check stays on as a second line.
//
// OpenSSL/Poco SSL is initialised once per process, thread-safely. A context is immutable once
// made and may be shared by threads. The recorded failure is per thread: handshakes run on the
// thread that sends the request, so a caller clears it, connects, and reads it after a failure.
//
// Errors: a CA file that cannot be loaded -> kPermanent naming the file.
#pragma once

#include <Poco/Net/Context.h>

#include <optional>
#include <string>

#include "common/result.h"

namespace appkeeper::graph {

Result<Poco::Net::Context::Ptr> makeClientTlsContext(const std::string& caFile,
                                                     const std::string& host);

// Why OpenSSL refused the peer's certificate, for an error message.
struct TlsVerifyFailure {
  int code = 0;                  // X509_V_ERR_*
  std::string reason;            // OpenSSL's text: "certificate has expired", ...
  bool nameMismatch = false;     // the certificate does not name the host
  bool untrustedIssuer = false;  // no path to a trusted CA (unknown or self-signed)
  std::string certifiedNames;    // nameMismatch: the names the certificate carries, ", "-joined
};

// The first verification failure of this thread's handshakes since the last clear.
void clearLastTlsVerifyFailure();
std::optional<TlsVerifyFailure> lastTlsVerifyFailure();

}  // namespace appkeeper::graph
