// Poco's NetSSL initialisation, once per process and never undone: the Graph client, the TLS
// listener and the emulator each make contexts that may live until exit, and
// Poco::Net::uninitializeSSL would tear OpenSSL's state down under them. Header-only, so
// common/ itself does not link Poco::NetSSL: the user does. Thread-safe.
#pragma once

#include <Poco/Net/NetSSL.h>

#include <mutex>

namespace appkeeper {

inline void initializeSslOnce() {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
}

}  // namespace appkeeper
