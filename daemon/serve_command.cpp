// `appkeeper serve`: configuration, the Service, systemd notifications, and the signal wait.
// SIGTERM/SIGINT drain and stop; SIGHUP reads the config file again and applies what can change
// while running (Service::reload); a file that no longer parses is logged and the running
// configuration kept.
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <ctime>

#include "daemon/commands.h"
#include "daemon/logging.h"
#include "daemon/service.h"

namespace appkeeper::daemon {
namespace {

constexpr time_t kStatusIntervalSeconds = 2;
// A turn longer than this is a hung thread: every Graph call is bounded by its timeout and a
// few retries, a reconciliation step by one page of teams.
constexpr std::chrono::minutes kStuckAfter{10};

// Restores the caller's signal mask when serve returns (tests call runServe in-process).
class BlockedSignals {
 public:
  BlockedSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set_, &previous_);
  }
  ~BlockedSignals() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  BlockedSignals(const BlockedSignals&) = delete;
  BlockedSignals& operator=(const BlockedSignals&) = delete;
  const sigset_t& set() const { return set_; }

 private:
  sigset_t set_;
  sigset_t previous_;
};

uint64_t monotonicUsec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

// RELOADING=1 ... READY=1 tells systemd a reload is in progress (and completes the protocol of
// Type=notify-reload, which sends the SIGHUP itself).
void reloadConfig(const std::string& path, const Environment& env, Service& service,
                  spdlog::logger& logger) {
  sd_notifyf(0, "RELOADING=1\nSTATUS=reloading the configuration\nMONOTONIC_USEC=%llu",
             static_cast<unsigned long long>(monotonicUsec()));
  logger.info("SIGHUP: reading {} again", path);
  auto loaded = loadConfig(path, env);
  if (!loaded) {
    logger.error("reload failed, keeping the running configuration: {}", loaded.error().message);
  } else {
    service.reload(*loaded);
  }
  const std::string status = service.status();
  sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str());
}

}  // namespace

int runServe(const CommandLine& cl, const Environment& env, std::ostream& err) {
  auto config = loadConfig(cl.store.configPath, env);
  if (!config) {
    err << "appkeeper: " << config.error().message << '\n';
    return kExitUsage;
  }
  // Before any thread exists, so every thread inherits the mask and only sigtimedwait below
  // ever sees SIGTERM/SIGINT (no async-signal handler at all).
  BlockedSignals signals;
  // A peer closing a socket must be an error code, not the death of the process.
  ::signal(SIGPIPE, SIG_IGN);
  // A file-size limit (RLIMIT_FSIZE) reached must be a failed write (EFBIG, answered 503 and
  // retried), not the death of the process: SIGXFSZ's default action is to kill.
  ::signal(SIGXFSZ, SIG_IGN);

  LogSink logs(config->log, env);
  auto logger = logs.logger("appkeeper");
  SystemClock clock;
  auto service = Service::start(*config, clock, logs);
  if (!service) {
    err << "appkeeper: " << service.error().message << '\n';
    return kExitFailure;
  }
  std::string status = (*service)->status();
  sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str());
  logger->info("ready: {}", status);

  // WatchdogSec= in the unit: ping at half the interval, but only while the service proves
  // progress; otherwise systemd restarts it (Restart=on-failure), which frees a hung thread.
  uint64_t watchdogUsec = 0;
  const bool watchdog = sd_watchdog_enabled(0, &watchdogUsec) > 0 && watchdogUsec > 0;
  timespec timeout{kStatusIntervalSeconds, 0};
  if (watchdog) {
    const uint64_t half = std::min<uint64_t>(watchdogUsec / 2, kStatusIntervalSeconds * 1'000'000);
    timeout = timespec{static_cast<time_t>(half / 1'000'000),
                       static_cast<long>((half % 1'000'000) * 1000)};
    logger->info("systemd watchdog on: pinging every {} ms while the service makes progress",
                 half / 1000);
  }
  std::string lastProblem;
  auto feedWatchdog = [&] {
    if (!watchdog) return;
    const std::string problem = (*service)->unhealthyReason(kStuckAfter);
    if (problem.empty()) {
      sd_notify(0, "WATCHDOG=1");
    } else if (problem != lastProblem) {
      logger->error("not pinging the systemd watchdog: {}", problem);
    }
    lastProblem = problem;
  };
  feedWatchdog();

  int received = 0;
  while (received == 0) {
    const int sig = sigtimedwait(&signals.set(), nullptr, &timeout);
    if (sig == SIGHUP) {
      reloadConfig(cl.store.configPath, env, **service, *logger);
    } else if (sig > 0) {
      received = sig;
      break;
    } else if (errno != EAGAIN && errno != EINTR) {
      logger->error("waiting for signals failed ({}); shutting down", std::strerror(errno));
      break;
    }
    feedWatchdog();
    const std::string now = (*service)->status();
    if (now != status) {
      status = now;
      sd_notifyf(0, "STATUS=%s", status.c_str());
    }
  }
  logger->info("{}: draining (up to {} s for running jobs)",
               received != 0 ? strsignal(received) : "stopping",
               config->workers.shutdownGrace.count());
  sd_notify(0, "STOPPING=1\nSTATUS=draining");
  (*service)->stop();
  service->reset();
  logger->info("stopped");
  return kExitOk;
}

}  // namespace appkeeper::daemon
