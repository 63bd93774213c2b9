// Service: everything `appkeeper serve` runs, owned with RAII: the store (opened read-write,
// migrated), the Graph stack (Poco transport, client-credentials tokens, the tenant RateLimiter,
// GraphClient), the inbound listener, one planner thread, one maintenance thread (subscriptions,
// reconciliation, catalog poll) and [workers] count worker threads, each thread with its own
// Store connection; with [delegated] key_file, a CredentialVault (its own connection) and the
// RefreshTokenSource the workers use for upgrades that need RSC consent.
//
// stop() drains: the listener stops, no thread starts new work, running jobs get
// shutdown_grace to finish; after that, Graph calls still waiting (rate limiter, backoff) are
// cancelled and their jobs released to the queue; every thread is joined.
//
// reload() (SIGHUP) applies what can change while running (config_reload.h): the log level, the
// Graph rate limits, [apps] watch (taken up by the maintenance thread at its next pass), and,
// with TLS on the listener, the certificate and key (new connections get them; a bad pair is
// logged and the previous one stays); it logs each change ("reloaded: [log] level info ->
// debug") and each changed key that needs a restart, and audits the reload (event "config",
// outcome "reloaded", or "failed" when the new TLS pair was refused).
//
// Thread contract: start(), status(), reload(), stop() and the destructor from one thread (main).
// Errors from start(): the store cannot be opened/migrated, or the listener cannot bind
// (message names the path or the address).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/result.h"
#include "daemon/config.h"
#include "daemon/logging.h"

namespace appkeeper::store {
class Store;
}
namespace appkeeper::graph {
class HttpTransport;
class ClientCredentialsTokenSource;
class RateLimiter;
class CancellableSleeper;
class GraphClient;
class RefreshTokenSource;
}  // namespace appkeeper::graph
namespace appkeeper::handlers {
class AdminServer;
class InboundPressure;
class InboundServer;
}

namespace appkeeper::daemon {

class CatalogCache;
class CredentialVault;
class IngestFirst;
class Maintenance;
struct GraphConnection;
class Planner;
class ServiceMetrics;
class UpgradeWorker;
class WorkLoop;

class Service {
 public:
  // `clock` is borrowed and must outlive the Service.
  static Result<std::unique_ptr<Service>> start(const Config& config, const Clock& clock,
                                                const LogSink& logs);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  void stop();
  // `loaded`: the config file read again. Never fails: what cannot change is logged.
  void reload(const Config& loaded);
  uint16_t port() const;
  // The STATUS= line: job counts, or why they could not be read.
  std::string status();
  // The watchdog's proof of progress: the store answers and no planner, worker or maintenance
  // turn has been running longer than `stuckAfter` (far beyond any bounded Graph call with its
  // retries). Empty when healthy, else why not (for the log).
  std::string unhealthyReason(std::chrono::milliseconds stuckAfter);

 private:
  Service(const Config& config, const Clock& clock, const LogSink& logs);
  Status startAll();

  Config config_;  // as started; reload() updates the reloadable settings
  const Clock& clock_;
  LogSink logs_;  // a handle sharing the caller's loggers (reload sets their level)
  std::shared_ptr<spdlog::logger> logger_;
  SystemRandom random_;
  std::unique_ptr<ServiceMetrics> metrics_;  // before graph_: the client reports to it
  std::unique_ptr<GraphConnection> graph_;
  std::unique_ptr<store::Store> store_;  // the main thread's connection (migrations, status)
  std::vector<std::unique_ptr<store::Store>> threadStores_;
  std::unique_ptr<CredentialVault> vault_;                      // null: delegated consent off
  std::unique_ptr<graph::RefreshTokenSource> delegatedTokens_;  // null: delegated consent off
  std::unique_ptr<Planner> planner_;
  // Published by the inbound writer, read by the planner's turns (ingestFirst_).
  std::shared_ptr<handlers::InboundPressure> inboundPressure_;
  std::unique_ptr<IngestFirst> ingestFirst_;
  std::unique_ptr<Maintenance> maintenance_;
  std::unique_ptr<CatalogCache> catalog_;  // shared by the workers: before them
  std::vector<std::unique_ptr<UpgradeWorker>> workers_;
  std::vector<std::unique_ptr<WorkLoop>> loops_;
  std::unique_ptr<handlers::InboundServer> server_;
  std::unique_ptr<handlers::AdminServer> admin_;  // null: /metrics on the main listener
  std::atomic<bool> running_{false};  // /readyz: store open and workers running
  bool stopped_ = false;
};

}  // namespace appkeeper::daemon
