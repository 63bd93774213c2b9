#include "daemon/service.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

#include "daemon/audit_outcomes.h"
#include "daemon/catalog_cache.h"
#include "daemon/config_reload.h"
#include "daemon/credential_vault.h"
#include "daemon/graph_connection.h"
#include "daemon/ingest_first.h"
#include "daemon/maintenance.h"
#include "daemon/planner.h"
#include "daemon/service_metrics.h"
#include "daemon/status_text.h"
#include "daemon/upgrade_worker.h"
#include "daemon/work_loop.h"
#include "graph/delegated_tokens.h"
#include "graph/graph_client.h"
#include "graph/http_transport.h"
#include "graph/rate_limiter.h"
#include "graph/sleeper.h"
#include "graph/token_source.h"
#include "handlers/admin_server.h"
#include "handlers/inbound_server.h"
#include "store/store.h"

namespace appkeeper::daemon {

using std::chrono::milliseconds;

namespace {

// How many nice steps the planner thread runs below the rest of the daemon (see where it is set).
constexpr int kPlannerNiceIncrement = 10;

std::string hostName() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

RetryPolicyOptions retryOptions(const WorkersConfig& w) {
  return RetryPolicyOptions{w.maxAttempts, w.backoffBase, w.backoffCap};
}

}  // namespace

Service::Service(const Config& config, const Clock& clock, const LogSink& logs)
    : config_(config), clock_(clock), logs_(logs), logger_(logs.logger("service")) {}

Result<std::unique_ptr<Service>> Service::start(const Config& config, const Clock& clock,
                                                const LogSink& logs) {
  std::unique_ptr<Service> service(new Service(config, clock, logs));
  if (auto started = service->startAll(); !started) {
    service->stop();
    return started.error();
  }
  return service;
}

Status Service::startAll() {
  const std::string& dbPath = config_.store.path;
  auto opened = store::Store::open(dbPath, clock_, store::OpenMode::kReadWrite);
  if (!opened) {
    return Error::permanent("cannot open the store " + dbPath + ": " + opened.error().message);
  }
  store_ = std::move(*opened);
  logger_->info("store {} open (schema version {})", dbPath, store_->schemaVersion());
  // A read-only connection of its own: scrapes come from listener threads and must not share a
  // connection (or a lock) with the threads doing the work.
  auto metricsStore = store::Store::open(dbPath, clock_, store::OpenMode::kReadOnly);
  if (!metricsStore) {
    return Error::permanent("cannot open the store " + dbPath + ": " +
                            metricsStore.error().message);
  }
  metrics_ = std::make_unique<ServiceMetrics>(APPKEEPER_VERSION, std::move(*metricsStore), clock_);

  const WorkersConfig& w = config_.workers;
  GraphConnectionOptions connectionOptions;
  // Workers, the other threads, and the readers of a first scan (reconciler and planner: a
  // closed keep-alive connection costs a new TLS handshake).
  connectionOptions.maxIdlePerOrigin = static_cast<size_t>(
      std::max(16, w.count + 4 + 2 * (ReconcilerOptions{}.scanConcurrency + 1)));
  // Longer waits go back to the worker, which persists them, rather than outliving the lease.
  connectionOptions.backoffCap =
      std::clamp<milliseconds>(std::chrono::duration_cast<milliseconds>(w.lease) / 2,
                               milliseconds(1'000), milliseconds(60'000));
  connectionOptions.observer = metrics_.get();
  graph_ = std::make_unique<GraphConnection>(config_, clock_, connectionOptions);

  auto openThreadStore = [&]() -> Result<store::Store*> {
    auto s = store::Store::open(dbPath, clock_, store::OpenMode::kReadWrite);
    if (!s) return Error::permanent("cannot open the store " + dbPath + ": " + s.error().message);
    threadStores_.push_back(std::move(*s));
    return threadStores_.back().get();
  };

  PlannerOptions plannerOptions;
  plannerOptions.tenantId = config_.graph.tenantId;
  plannerOptions.lease = w.lease;
  plannerOptions.retry = retryOptions(w);
  plannerOptions.patience = w.propagationPatience;
  plannerOptions.scanConcurrency = ReconcilerOptions{}.scanConcurrency;  // as the reconciliation
  auto plannerStore = openThreadStore();
  if (!plannerStore) return plannerStore.error();
  auto plannerLogger = logs_.logger("planner");
  planner_ = std::make_unique<Planner>(plannerOptions, **plannerStore, *graph_->client, clock_,
                                       random_, plannerLogger);
  inboundPressure_ = std::make_shared<handlers::InboundPressure>();
  ingestFirst_ = std::make_unique<IngestFirst>(inboundPressure_, clock_, IngestFirst::Options{},
                                               plannerLogger);
  loops_.push_back(
      std::make_unique<WorkLoop>("planner",
                                 WorkLoop::Hooks{[p = planner_.get(), gate = ingestFirst_.get()] {
                                                   if (gate->deferTurn()) return false;
                                                   return p->runOnce() && p->lastBatchWasFull();
                                                 },
                                                 nullptr},
                                 clock_, plannerLogger));
  // Planning may lag a flood; the inbound answers may not (Graph wants them within 3 s, and
  // counts slow ones against the endpoint). At 5,000 notifications/s on 2 cores the planner at
  // the same priority took the p99 of the answers from ~4 ms to 11-76 ms; at nice +10, 4-7 ms.
  loops_.back()->lowerPriority(kPlannerNiceIncrement);

  MaintenanceOptions maintenanceOptions;
  maintenanceOptions.tenantId = config_.graph.tenantId;
  maintenanceOptions.watch = config_.apps.watch;
  maintenanceOptions.subscriptionsEnabled = !config_.listen.publicUrl.empty();
  maintenanceOptions.subscriptions.publicUrl = config_.listen.publicUrl;
  maintenanceOptions.subscriptions.tenantId = config_.graph.tenantId;
  maintenanceOptions.subscriptions.lifetime = config_.subscriptions.lifetime;
  maintenanceOptions.subscriptions.renewBefore = config_.subscriptions.renewBefore;
  maintenanceOptions.reconcileInterval = config_.reconcile.interval;
  maintenanceOptions.catalogPollInterval = config_.reconcile.catalogPollInterval;
  auto maintenanceStore = openThreadStore();
  if (!maintenanceStore) return maintenanceStore.error();
  auto maintenanceLogger = logs_.logger("maintenance");
  if (!maintenanceOptions.subscriptionsEnabled) {
    maintenanceLogger->warn(
        "[listen] public_url is not set: no Graph subscriptions, so installs and upgrades made "
        "outside appkeeper reach the inventory only through the reconciliation (every {} s)",
        config_.reconcile.interval.count());
  }
  maintenance_ = std::make_unique<Maintenance>(std::move(maintenanceOptions), **maintenanceStore,
                                               *graph_->client, clock_, maintenanceLogger);
  // A second between idle passes: lifecycle events (through the store) are acted on quickly,
  // at the cost of a few cheap reads.
  loops_.push_back(std::make_unique<WorkLoop>(
      "maintenance", WorkLoop::Hooks{[m = maintenance_.get()] { return m->runOnce(); }, nullptr},
      clock_, maintenanceLogger, milliseconds(1'000)));

  if (config_.delegated.enabled()) {
    auto vaultStore = openThreadStore();
    if (!vaultStore) return vaultStore.error();
    vault_ = std::make_unique<CredentialVault>(config_.delegated.key, **vaultStore);
    graph::DelegatedClient client;
    client.tokenUrl = config_.graph.tokenEndpoint();
    client.deviceCodeUrl = config_.delegated.deviceCodeEndpoint(config_.graph.tenantId);
    client.clientId = config_.graph.clientId;
    client.scope = config_.delegated.scope;
    client.timeout = config_.graph.timeout;
    delegatedTokens_ = std::make_unique<graph::RefreshTokenSource>(std::move(client), *vault_,
                                                                   *graph_->transport, clock_);
  }

  catalog_ = std::make_unique<CatalogCache>(*graph_->client, clock_);
  const std::string ownerPrefix = hostName() + ":" + std::to_string(::getpid()) + ":w";
  for (int i = 1; i <= w.count; ++i) {
    auto workerStore = openThreadStore();
    if (!workerStore) return workerStore.error();
    WorkerOptions workerOptions;
    workerOptions.owner = ownerPrefix + std::to_string(i);
    workerOptions.lease = w.lease;
    workerOptions.retry = retryOptions(w);
    workerOptions.propagationRetry = w.propagationRetry;
    workerOptions.propagationPatience = w.propagationPatience;
    workerOptions.sharedCatalog = catalog_.get();
    workerOptions.onOutcome = [m = metrics_.get()](std::string_view o) { m->onJobOutcome(o); };
    auto workerLogger = logs_.logger("worker-" + std::to_string(i));
    workers_.push_back(std::make_unique<UpgradeWorker>(workerOptions, **workerStore,
                                                       *graph_->client, clock_, random_,
                                                       workerLogger, delegatedTokens_.get()));
    UpgradeWorker* worker = workers_.back().get();
    loops_.push_back(
        std::make_unique<WorkLoop>("worker-" + std::to_string(i),
                                   WorkLoop::Hooks{[worker] { return worker->runOnce(); },
                                                   [worker] { return worker->nextDue(); }},
                                   clock_, workerLogger));
  }

  handlers::InboundServerOptions serverOptions;
  serverOptions.address = config_.listen.address;
  serverOptions.port = config_.listen.port;
  serverOptions.dbPath = dbPath;
  serverOptions.tenantId = config_.graph.tenantId;
  serverOptions.catalogSecret = config_.catalogEvents.secret;
  serverOptions.tls = {config_.listen.tlsCertFile, config_.listen.tlsKeyFile};
  serverOptions.maxInFlight = config_.listen.maxInFlight;
  serverOptions.pressure = inboundPressure_;
  serverOptions.slowCommit = config_.store.slowCommitWarn;
  serverOptions.ready = [this] { return running_.load(); };
  serverOptions.logger = logs_.logger("inbound");
  auto observeRequest = [m = metrics_.get()](std::string_view endpoint, int status,
                                             std::chrono::nanoseconds elapsed) {
    m->onInboundRequest(endpoint, status, elapsed);
  };
  serverOptions.onRequest = observeRequest;
  const handlers::MetricsEndpoint metricsEndpoint{[m = metrics_.get()] { return m->scrape(); },
                                                  config_.admin.token};
  if (!config_.admin.separateListener()) serverOptions.metrics = metricsEndpoint;
  auto server = handlers::InboundServer::start(std::move(serverOptions), clock_);
  if (!server) {
    return Error::permanent("cannot start the listener on " + config_.listen.address + ":" +
                            std::to_string(config_.listen.port) + ": " + server.error().message);
  }
  server_ = std::move(*server);
  if (config_.admin.separateListener()) {
    handlers::AdminServerOptions adminOptions;
    adminOptions.address = config_.admin.address;
    adminOptions.port = config_.admin.port;
    adminOptions.routes.metrics = metricsEndpoint;
    adminOptions.routes.ready = [this] { return running_.load(); };
    adminOptions.onRequest = observeRequest;
    adminOptions.logger = logs_.logger("admin");
    auto admin = handlers::AdminServer::start(std::move(adminOptions), clock_);
    if (!admin) {
      return Error::permanent("cannot start the [admin] listener on " + config_.admin.address +
                              ":" + std::to_string(config_.admin.port) + ": " +
                              admin.error().message);
    }
    admin_ = std::move(*admin);
  }

  for (auto& loop : loops_) loop->start();
  running_ = true;
  logger_->info(
      "listening on {}://{}:{}; {} workers; Graph {} for tenant {}, {} requests/s per budget; "
      "delegated consent {}",
      server_->tlsEnabled() ? "https" : "http", config_.listen.address, server_->port(), w.count,
      config_.graph.baseUrl, config_.graph.tenantId, config_.graph.requestsPerSecond,
      delegatedTokens_ ? "configured" : "off");
  return Ok{};
}

Service::~Service() { stop(); }

void Service::stop() {
  if (stopped_) return;
  stopped_ = true;
  running_ = false;
  if (server_) {
    server_->stop();
    server_.reset();  // closes the listening socket too: new connections are refused, not queued
  }
  if (admin_) {
    admin_->stop();
    admin_.reset();
  }
  if (planner_) planner_->requestStop();
  for (auto& loop : loops_) loop->requestStop();
  const auto deadline = std::chrono::steady_clock::now() + config_.workers.shutdownGrace;
  size_t busy = 0;
  for (auto& loop : loops_) {
    auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (!loop->waitFinished(std::max(left, milliseconds::zero()))) ++busy;
  }
  if (busy > 0) {
    logger_->warn(
        "{} threads still busy after the {} s shutdown grace; cancelling their Graph "
        "calls (their jobs go back to the queue)",
        busy, config_.workers.shutdownGrace.count());
  }
  if (graph_) graph_->sleeper.cancel();
  for (auto& loop : loops_) loop->join();
  if (!loops_.empty()) logger_->info("stopped: every thread joined");
}

void Service::reload(const Config& loaded) {
  const ConfigDiff diff = diffConfig(config_, loaded);
  if (diff.empty()) {
    logger_->info("reloaded {}: nothing changed{}", loaded.file,
                  diff.reloadTls ? " (the TLS certificate is read again)" : "");
  }
  const auto levelBefore = spdlog::level::from_str(config_.log.level);
  const auto levelAfter = spdlog::level::from_str(loaded.log.level);
  // A more verbose level first and a quieter one last, so the lines below show under either.
  if (diff.logLevel && levelAfter < levelBefore) logs_.setLevel(loaded.log.level);
  if (diff.rateLimits && graph_) {
    graph::RateLimits limits;
    limits.getPerSecond = loaded.graph.requestsPerSecond;
    limits.postPerSecond = loaded.graph.requestsPerSecond;
    limits.perTeamPerSecond = loaded.graph.perTeamRequestsPerSecond;
    graph_->limiter->setLimits(limits);
    config_.graph.requestsPerSecond = loaded.graph.requestsPerSecond;
    config_.graph.perTeamRequestsPerSecond = loaded.graph.perTeamRequestsPerSecond;
  }
  if (diff.watch && maintenance_) {
    maintenance_->setWatch(loaded.apps.watch);
    config_.apps.watch = loaded.apps.watch;
  }
  std::string detail;
  bool tlsFailed = false;
  if (diff.reloadTls && server_) {
    // Certificate renewal (certbot, an internal CA) replaces the files and sends SIGHUP.
    auto tls = server_->reloadTls({loaded.listen.tlsCertFile, loaded.listen.tlsKeyFile});
    if (tls) {
      config_.listen.tlsCertFile = loaded.listen.tlsCertFile;
      config_.listen.tlsKeyFile = loaded.listen.tlsKeyFile;
      logger_->info("reloaded the listener's TLS certificate: {} (serial {}, expires {})",
                    tls->subject, tls->serial, tls->notAfter);
      detail = "TLS certificate " + tls->subject + " serial " + tls->serial + " expires " +
               tls->notAfter;
    } else {
      // The message names files, never their content.
      logger_->error("the listener's TLS certificate was not reloaded, the previous one stays: {}",
                     tls.error().message);
      detail = "TLS certificate not reloaded (the previous one stays): " + tls.error().message;
      tlsFailed = true;
    }
  }
  for (const auto& change : diff.reloaded) {
    logger_->info("reloaded: {} {} -> {}", change.key, change.from, change.to);
    detail += (detail.empty() ? "" : "; ") + change.key + " " + change.from + " -> " + change.to;
  }
  for (const auto& key : diff.needsRestart) {
    logger_->warn("{} changed in {} but needs a restart to take effect (systemctl restart "
                  "appkeeper)",
                  key, loaded.file);
    detail += (detail.empty() ? "" : "; ") + key + " needs a restart";
  }
  if (diff.logLevel && levelAfter >= levelBefore) logs_.setLevel(loaded.log.level);
  config_.log.level = loaded.log.level;
  if ((diff.empty() && detail.empty()) || !store_) return;
  store::AuditRecord audit;
  audit.event = kEventConfig;
  audit.outcome = tlsFailed ? kOutcomeFailed : kOutcomeReloaded;
  audit.tenantId = config_.graph.tenantId;
  audit.detail = detail;
  if (auto s = store_->appendAudit(audit); !s) {
    logger_->warn("cannot audit the reload: {}", s.error().message);
  }
}

uint16_t Service::port() const { return server_ ? server_->port() : 0; }

std::string Service::unhealthyReason(std::chrono::milliseconds stuckAfter) {
  if (!store_) return "the store is not open";
  if (auto counts = store_->jobCounts(); !counts) {
    return "the store does not answer: " + counts.error().message;
  }
  for (const auto& loop : loops_) {
    const auto busy = loop->busyFor();
    if (busy > stuckAfter) {
      return loop->name() + " has been in one turn for " +
             std::to_string(std::chrono::duration_cast<std::chrono::seconds>(busy).count()) + " s";
    }
  }
  return "";
}

std::string Service::status() {
  if (!store_) return "starting";
  auto counts = store_->jobCounts();
  if (!counts) return "cannot read the job counts: " + counts.error().message;
  return statusText(*counts);
}

}  // namespace appkeeper::daemon
