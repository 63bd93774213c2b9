// SessionPool: idle keep-alive Poco HTTP(S) client sessions per origin (scheme://host:port),
// internal to the Poco transport. A session is owned by exactly one request while leased
// (unique_ptr moves out) and comes back only after a complete, keep-alive exchange.
//
// Thread contract: thread-safe (idle lists guarded by mu_). Health checks and closing happen
// outside the lock.
#pragma once

#include <Poco/Net/HTTPClientSession.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace appkeeper::graph {

class SessionPool {
 public:
  SessionPool(size_t maxIdlePerOrigin, std::chrono::milliseconds maxIdle);
  // A healthy idle session for `origin`, or nullptr (the caller opens a new one). Sessions idle
  // longer than maxIdle, or whose peer already closed or wrote unasked, are discarded.
  std::unique_ptr<Poco::Net::HTTPClientSession> take(const std::string& origin);
  // Returns a session after a complete keep-alive exchange; dropped when the origin's list is full.
  void giveBack(const std::string& origin, std::unique_ptr<Poco::Net::HTTPClientSession> session);

 private:
  struct Idle {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    std::chrono::steady_clock::time_point since;
  };
  static bool healthy(Poco::Net::HTTPClientSession& session);

  const size_t maxIdlePerOrigin_;
  const std::chrono::milliseconds maxIdle_;
  std::mutex mu_;
  std::unordered_map<std::string, std::vector<Idle>> idle_;  // guarded by mu_
};

}  // namespace appkeeper::graph
