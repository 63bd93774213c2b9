#include "graph/session_pool.h"

#include <Poco/Exception.h>
#include <Poco/Net/Socket.h>
#include <Poco/Timespan.h>

namespace appkeeper::graph {

SessionPool::SessionPool(size_t maxIdlePerOrigin, std::chrono::milliseconds maxIdle)
    : maxIdlePerOrigin_(maxIdlePerOrigin), maxIdle_(maxIdle) {}

bool SessionPool::healthy(Poco::Net::HTTPClientSession& session) {
  try {
    if (!session.connected()) return false;
    // An idle keep-alive socket must have nothing to read: readable means the server closed it
    // (EOF) or sent something unasked, and either way the next request would fail.
    return !session.socket().poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ);
  } catch (const Poco::Exception&) {
    return false;
  }
}

std::unique_ptr<Poco::Net::HTTPClientSession> SessionPool::take(const std::string& origin) {
  const auto now = std::chrono::steady_clock::now();
  // Bounded: each iteration removes one entry from the list.
  while (true) {
    Idle candidate;
    {
      std::lock_guard lock(mu_);
      auto it = idle_.find(origin);
      if (it == idle_.end() || it->second.empty()) return nullptr;
      candidate = std::move(it->second.back());  // most recently used: least likely stale
      it->second.pop_back();
    }
    if (now - candidate.since <= maxIdle_ && healthy(*candidate.session)) {
      return std::move(candidate.session);
    }
    // `candidate` goes out of scope here: the stale connection is closed outside the lock.
  }
}

void SessionPool::giveBack(const std::string& origin,
                           std::unique_ptr<Poco::Net::HTTPClientSession> session) {
  if (!session || maxIdlePerOrigin_ == 0) return;
  {
    std::lock_guard lock(mu_);
    auto& list = idle_[origin];
    if (list.size() < maxIdlePerOrigin_) {
      list.push_back({std::move(session), std::chrono::steady_clock::now()});
      return;
    }
  }
  // The list is full: `session` closes here, outside the lock.
}

}  // namespace appkeeper::graph
