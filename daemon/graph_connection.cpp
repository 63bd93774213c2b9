#include "daemon/graph_connection.h"

namespace appkeeper::daemon {

GraphConnection::GraphConnection(const Config& config, const Clock& clock,
                                 GraphConnectionOptions options) {
  graph::TransportOptions transportOptions;
  transportOptions.caFile = config.graph.caFile;
  transportOptions.maxIdlePerOrigin = options.maxIdlePerOrigin;
  transport = graph::makePocoTransport(transportOptions);

  graph::ClientCredentials credentials;
  credentials.tokenUrl = config.graph.tokenEndpoint();
  credentials.clientId = config.graph.clientId;
  credentials.clientSecret = config.graph.clientSecret;
  credentials.timeout = config.graph.timeout;
  tokens = std::make_unique<graph::ClientCredentialsTokenSource>(std::move(credentials), *transport,
                                                                 clock);

  graph::RateLimits limits;
  limits.getPerSecond = config.graph.requestsPerSecond;
  limits.postPerSecond = config.graph.requestsPerSecond;
  limits.perTeamPerSecond = config.graph.perTeamRequestsPerSecond;
  limiter = std::make_unique<graph::RateLimiter>(limits, clock);

  graph::GraphClientOptions clientOptions;
  clientOptions.baseUrl = config.graph.baseUrl;
  clientOptions.tenantId = config.graph.tenantId;
  clientOptions.requestTimeout = config.graph.timeout;
  if (options.backoffCap) clientOptions.backoffCap = *options.backoffCap;
  clientOptions.observer = options.observer;
  client = std::make_unique<graph::GraphClient>(clientOptions, *transport, *tokens, *limiter, clock,
                                                sleeper, random);
}

}  // namespace appkeeper::daemon
