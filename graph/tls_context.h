// The one TLS client configuration appkeeper uses (internal to the graph module): TLS 1.2 or
// newer, peer certificate and host name always verified (VERIFY_STRICT + extended
// verification), trust = the system store plus an optional extra CA file. OpenSSL/Poco SSL is
// initialised once per process, thread-safely; nothing is registered with Poco's SSLManager, so
// a certificate that fails verification is rejected (no handler can accept it).
//
// Errors: a CA file that cannot be loaded -> kPermanent naming the file.
#pragma once

#include <Poco/Net/Context.h>

#include <string>

#include "common/result.h"

namespace appkeeper::graph {

Result<Poco::Net::Context::Ptr> makeClientTlsContext(const std::string& caFile);

}  // namespace appkeeper::graph
