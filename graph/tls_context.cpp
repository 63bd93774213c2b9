#include "graph/tls_context.h"

#include <Poco/Exception.h>
#include <Poco/Net/NetSSL.h>

#include <mutex>

namespace appkeeper::graph {
namespace {

void initializeSslOnce() {
  // Never uninitialised: other components may hold contexts until process exit.
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
}

}  // namespace

Result<Poco::Net::Context::Ptr> makeClientTlsContext(const std::string& caFile) {
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
    context->enableExtendedCertificateVerification(true);
    return context;
  } catch (const Poco::Exception& e) {
    return Error::permanent("cannot set up TLS with CA file '" + caFile + "': " + e.displayText() +
                            "; check that the file exists and holds PEM certificates");
  }
}

}  // namespace appkeeper::graph
