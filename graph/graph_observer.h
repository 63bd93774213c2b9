// GraphObserver: the seam through which GraphClient reports every HTTP attempt it makes to
// Graph (each retry and the re-send after a token refresh count as attempts), for metrics. The
// client calls it once per attempt, after the answer (or the transport error) came back.
//
// Thread contract: implementations must be thread-safe and cheap (the client calls from every
// worker thread, on the request path) and must not throw. The observer is borrowed by the
// client (GraphClientOptions::observer) and must outlive it.
#pragma once

#include <chrono>
#include <string_view>

namespace appkeeper::graph {

struct GraphAttempt {
  // The typed call that made it: "listTeams", "listTeamInstallations", "getInstallation",
  // "getCatalogApp", "listOrganizationApps", "upgrade", "createSubscription",
  // "listSubscriptions", "renewSubscription", "deleteSubscription",
  // "reauthorizeSubscription". A static string: a bounded label set.
  std::string_view operation;
  int status = 0;  // the HTTP status; 0 when no answer came (transport error, timeout)
  std::chrono::nanoseconds duration{0};      // sending and receiving, without the limiter's wait
  std::chrono::milliseconds limiterWait{0};  // how long the rate limiter held it back first
};

class GraphObserver {
 public:
  virtual ~GraphObserver() = default;
  virtual void onAttempt(const GraphAttempt& attempt) = 0;
};

}  // namespace appkeeper::graph
