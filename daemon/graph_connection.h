// GraphConnection: the app-only Graph stack built from [graph] - Poco transport (with
// [graph] ca_file), client-credentials tokens, the tenant RateLimiter, a cancellable sleeper and
// the GraphClient over them - for `serve` and for the one-shot commands (`plan`), so both talk
// to Graph with the same limits and settings.
//
// Thread contract: the members are as thread-safe as their types (GraphClient is). Borrows the
// Clock, which must outlive it. Owns everything else (RAII).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>

#include "common/clock.h"
#include "common/random.h"
#include "daemon/config.h"
#include "graph/graph_client.h"
#include "graph/http_transport.h"
#include "graph/rate_limiter.h"
#include "graph/sleeper.h"
#include "graph/token_source.h"

namespace appkeeper::daemon {

struct GraphConnectionOptions {
  size_t maxIdlePerOrigin = 16;  // keep-alive connections: one per thread that calls Graph
  // Longest backoff slept inside the client; longer waits go back to the caller (nullopt: the
  // client's default).
  std::optional<std::chrono::milliseconds> backoffCap;
  // Told about every Graph request (metrics); borrowed, must outlive the connection; may be null.
  graph::GraphObserver* observer = nullptr;
};

struct GraphConnection {
  GraphConnection(const Config& config, const Clock& clock, GraphConnectionOptions options = {});

  std::unique_ptr<graph::HttpTransport> transport;
  std::unique_ptr<graph::ClientCredentialsTokenSource> tokens;
  std::unique_ptr<graph::RateLimiter> limiter;
  graph::CancellableSleeper sleeper;
  SystemRandom random;  // backoff jitter
  std::unique_ptr<graph::GraphClient> client;
};

}  // namespace appkeeper::daemon
