// EmulatorServer: the Poco HTTPServer in front of an EmulatorCore. Each request is read into a
// plain Request (size-capped body, lower-case header names), delayed by the core's latency
// (on the request thread, holding no lock), handled by the core, and written back — or, for
// injected faults, misbehaved: a hang holds the connection and then closes it unanswered, a
// drop closes it at once, a truncate sends half the body under a Content-Length that promises
// more. One log line per request (method, path without the query, status, milliseconds) at
// info level.
//
// HTTP/1.1 with keep-alive, over TLS (1.2 or newer) when ServerOptions carries a certificate;
// each Request then says scheme "https", so absolute links the core builds use https. Borrows
// the core (must outlive the server). start()/stop() from one thread; stop() interrupts latency
// waits and hangs, then joins every request thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "common/result.h"
#include "emulator/emulator_core.h"

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}
}  // namespace Poco

namespace spdlog {
class logger;
}

namespace appkeeper::emulator {

struct ServerOptions {
  std::string bindAddress = "127.0.0.1";
  uint16_t port = 0;  // 0: the OS picks
  int threads = 64;
  int maxQueued = 512;
  size_t maxBodyBytes = 4 * 1024 * 1024;
  std::chrono::seconds keepAliveTimeout{15};
  // Both set: serve HTTPS with this chain (server certificate first) and unencrypted key.
  std::string tlsCertificateChainPem;
  std::string tlsPrivateKeyPem;
  bool tls() const { return !tlsCertificateChainPem.empty(); }
};

// Lets request threads wait (latency, hangs) and be woken all at once on shutdown.
class StopGate {
 public:
  // false when woken by stop() before `d` passed.
  bool waitFor(std::chrono::milliseconds d);
  void stop();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;  // guarded by mu_
};

class EmulatorServer {
 public:
  EmulatorServer(EmulatorCore& core, ServerOptions options, std::shared_ptr<spdlog::logger> logger);
  ~EmulatorServer();  // stop()
  EmulatorServer(const EmulatorServer&) = delete;
  EmulatorServer& operator=(const EmulatorServer&) = delete;

  // Binds and starts serving. Errors: the address cannot be bound, or the TLS certificate and
  // key are unusable (kInvalidInput).
  Status start();
  uint16_t port() const { return port_; }
  std::string url() const;  // "http://127.0.0.1:PORT", or https:// with TLS
  void stop();

 private:
  EmulatorCore& core_;
  ServerOptions options_;
  std::shared_ptr<spdlog::logger> logger_;
  StopGate gate_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  uint16_t port_ = 0;
};

}  // namespace appkeeper::emulator
