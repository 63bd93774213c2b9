// Storage faults against a real daemon (issue 5): the database locked by another process, the
// disk full (a small tmpfs, and RLIMIT_FSIZE), the database file unwritable (chattr +i). For each:
// while the fault lasts, signed publish events and Graph notifications are answered 503 with
// Retry-After (nothing is accepted that could not be kept), /healthz answers, the process lives;
// once the fault clears, the very same event is accepted (202, not a 200 "duplicate": nothing of
// it was kept during the fault) and has its effect, and the fan-out the workers were running when
// the fault began finishes with every installation upgraded exactly once.
//
// The faults are real kernel/SQLite conditions, not mocks:
// - lock: a second SQLite connection (this process) holds BEGIN EXCLUSIVE, as a stray
//   `sqlite3` shell or backup tool would; the daemon's writes wait out their busy timeout.
// - tmpfs: the store lives on an 8 MB tmpfs filled by a file: ENOSPC, SQLITE_FULL. Needs
//   mount(2) (root or CAP_SYS_ADMIN); skipped with a warning otherwise.
// - RLIMIT_FSIZE: prlimit(2) lowers the running daemon's file-size limit to 0 and restores it:
//   EFBIG on every write (the daemon ignores SIGXFSZ, whose default action would kill it).
// - unwritable: `chattr +i` on the database and its -wal. Root ignores mode bits, so chmod 0444
//   proves nothing (and a file already open for writing stays writable anyway); the immutable
//   flag is refused to every process, root included, on open descriptors too (EPERM). Needs
//   CAP_LINUX_IMMUTABLE and a file system with the flag (ext4 here); skipped otherwise.
#include <SQLiteCpp/SQLiteCpp.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "integration/harness.h"
#include "integration/rollout_checks.h"

using namespace appkeeper::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

size_t auditCount(const DaemonProcess& daemon, const std::string& event, const std::string& outcome,
                  const std::string& detailPart = "") {
  size_t n = 0;
  for (const auto& r : daemon.audit()) {
    if (r.value("event", "") == event && r.value("outcome", "") == outcome &&
        r.value("detail", "").find(detailPart) != std::string::npos) {
      ++n;
    }
  }
  return n;
}

HttpResult sendProbeNotification(const DaemonProcess& daemon, const std::string& subscriptionId) {
  return daemon.notifyUnknownSubscription(subscriptionId, 20s);
}

struct Fault {
  std::string name;
  std::function<void()> inject;
  std::function<void()> clear;
  // Some faults bite only once the store needs new space: probe with notifications until one
  // is refused before asserting on the publish event.
  bool probeUntilRefused = false;
  // The daemon's log can say what its workers met during the fault (not so under RLIMIT_FSIZE,
  // where the log file cannot grow either).
  bool workerLogVisible = true;
};

// A worker's own words for a store write it could not make (upgrade_worker.cpp).
bool workerMetStoreFault(const std::string& log) {
  for (const char* what :
       {"cannot claim a job", "cannot record outcome", "cannot reschedule", "cannot release"}) {
    if (log.find(what) != std::string::npos) return true;
  }
  return false;
}

struct Scenario {
  TempDir& dir;
  EmulatorProcess emu;
  std::string tasks, polls;
  size_t tasksTotal = 0, pollsTotal = 0;
  DaemonProcess daemon;

  Scenario(TempDir& d, DaemonOptions options)
      : dir(d),
        emu(d,
            {"--teams", "40", "--seed", "17", "--latency-ms", "20", "--latency-jitter-ms", "10"}),
        tasks(emu.appIdByName("Contoso Tasks")),
        polls(emu.appIdByName("Contoso Polls")),
        tasksTotal(emu.installations(tasks).size()),
        pollsTotal(emu.installations(polls).size()),
        daemon(d, emu, withDefaults(std::move(options))) {
    emu.publish(tasks, "9.0.0");
    emu.publish(polls, "2.0.0");
  }

  static DaemonOptions withDefaults(DaemonOptions options) {
    options.requestsPerSecond = 15;  // slow enough that the fault lands mid fan-out
    options.workers = 4;
    // A job whose outcome could not be recorded during the fault is leased again soon.
    options.extraEnv.emplace("APPKEEPER_WORKERS_LEASE_SECONDS", "3");
    return options;
  }
};

// The whole story of one fault; see the file comment.
void survive(Scenario& s, const Fault& fault) {
  DaemonProcess& daemon = s.daemon;
  INFO("fault: " << fault.name);
  REQUIRE(s.tasksTotal > 5);
  REQUIRE(s.pollsTotal > 0);
  REQUIRE(daemon.sendPublishEvent(s.tasks, "9.0.0", "msg_tasks") == 202);
  REQUIRE(eventually([&] { return installationsBehind(s.emu, s.tasks, "9.0.0") < s.tasksTotal; }, 60s));
  const size_t tasksLeftAtFault = installationsBehind(s.emu, s.tasks, "9.0.0");

  const size_t logAtFault = daemon.stderrLog().size();
  fault.inject();
  size_t probes = 0;
  if (fault.probeUntilRefused) {
    bool refused = false;
    for (; probes < 3000 && !refused; ++probes) {  // bounded: the tmpfs holds a few MB at most
      refused = sendProbeNotification(daemon, "sub-probe-" + std::to_string(probes)).status == 503;
    }
    REQUIRE(refused);
  }
  const auto t0 = std::chrono::steady_clock::now();
  HttpResult event = daemon.publishEvent(s.polls, "2.0.0", "msg_polls", 20s);
  const auto eventMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  INFO(daemon.stderrLog());
  CHECK(event.status == 503);
  CHECK(event.headers["retry-after"] == "5");
  HttpResult notification = sendProbeNotification(daemon, "sub-during-fault");
  CHECK(notification.status == 503);
  CHECK(notification.headers["retry-after"] == "5");
  const auto h0 = std::chrono::steady_clock::now();
  CHECK(httpCall("GET", daemon.url() + "/healthz", "", {}, 10s).status == 200);
  const auto healthMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - h0);
  CHECK(daemon.running());
  if (fault.workerLogVisible) {
    // Held until the workers have met the fault too, so their side of "nothing lost" is tested.
    CHECK(eventually([&] { return workerMetStoreFault(daemon.stderrLog().substr(logAtFault)); },
                     45s));
    CHECK(httpCall("GET", daemon.url() + "/healthz", "", {}, 10s).status == 200);
    CHECK(daemon.publishEvent(s.polls, "2.0.0", "msg_polls", 20s).status == 503);
  }
  const size_t tasksLeftAtClear = installationsBehind(s.emu, s.tasks, "9.0.0");
  std::printf(
      "[storage fault %s] notification probes until a 503: %zu; publish answered %d in %lld ms;"
      " /healthz in %lld ms; tasks left at the fault: %zu, when cleared: %zu, of %zu\n",
      fault.name.c_str(), probes, event.status, static_cast<long long>(eventMs.count()),
      static_cast<long long>(healthMs.count()), tasksLeftAtFault, tasksLeftAtClear, s.tasksTotal);

  fault.clear();
  // What a sender does: retry the same delivery. Bounded; the first retry normally succeeds.
  int retried = 0;
  HttpResult again;
  for (; retried < 20; ++retried) {
    again = daemon.publishEvent(s.polls, "2.0.0", "msg_polls", 20s);
    if (again.status != 503) break;
  }
  CHECK(again.status == 202);  // 202, not 200: the refused attempt kept nothing
  CHECK(retried == 0);
  CHECK(sendProbeNotification(daemon, "sub-during-fault").status == 202);

  REQUIRE(eventually([&] { return installationsBehind(s.emu, s.tasks, "9.0.0") == 0; }, 120s));
  REQUIRE(eventually([&] { return installationsBehind(s.emu, s.polls, "2.0.0") == 0; }, 120s));
  size_t upgradedTwice = 0;
  for (const auto& app : {s.tasks, s.polls}) {
    for (const auto& inst : s.emu.installations(app)) {
      INFO(inst.dump());
      CHECK(inst.at("upgrades") == 1);
      upgradedTwice += inst.at("upgrades").get<int>() > 1 ? 1 : 0;
    }
  }
  CHECK(auditCount(daemon, "catalog-event", "accepted", "msg_polls") == 1);
  CHECK(auditCount(daemon, "catalog-event", "accepted", "msg_tasks") == 1);
  CHECK(auditCount(daemon, "graph-notification", "rejected", "sub-during-fault") == 1);
  std::printf(
      "[storage fault %s] after clearing: retries %d, all %zu + %zu installations current,"
      " upgraded twice: %zu\n",
      fault.name.c_str(), retried, s.tasksTotal, s.pollsTotal, upgradedTwice);
  CHECK(daemon.terminate() == 0);  // a clean exit: the fault never took the process down
}

// A tmpfs mounted on `path` for the test's lifetime (lazy unmount on destruction).
class TmpfsMount {
 public:
  TmpfsMount(const std::string& path, const std::string& size) : path_(path) {
    fs::create_directories(path);
    const std::string data = "size=" + size + ",mode=0755";
    mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", 0, data.c_str()) == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~TmpfsMount() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  bool mounted_ = false;
  std::string error_;
};

// Writes `path` until the file system says it is full; returns the bytes written. Bounded by
// `limit` (larger than the file system) so a file system that never fills ends the loop.
size_t fill(const std::string& path, size_t limit) {
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  std::string chunk(64 * 1024, 'x');
  size_t written = 0;
  while (written < limit) {
    const size_t n = std::fwrite(chunk.data(), 1, chunk.size(), f);
    written += n;
    if (n < chunk.size() || std::fflush(f) != 0) break;
  }
  std::fclose(f);
  return written;
}

bool run(const std::string& command) { return std::system(command.c_str()) == 0; }

// Clears the immutable flag even when a check failed, or the temp dir could not be removed.
struct ImmutableFlag {
  std::vector<std::string> files;
  bool set = false;
  bool inject() {
    std::string cmd = "chattr +i";
    for (const auto& f : files) cmd += " '" + f + "'";
    set = run(cmd + " 2>/dev/null");
    return set;
  }
  void clear() {
    if (!set) return;
    std::string cmd = "chattr -i";
    for (const auto& f : files) cmd += " '" + f + "'";
    set = !run(cmd);
  }
  ~ImmutableFlag() { clear(); }
};

}  // namespace

TEST_CASE(
    "a database locked by another process gets 503s, and the same events are kept once it "
    "is released",
    "[integration][storage]") {
  TempDir dir;
  Scenario s(dir, {});
  s.daemon.start();
  std::unique_ptr<SQLite::Database> holder;
  Fault fault{"locked",
              [&] {
                // Waits (up to 10 s) for the daemon's own writers, then holds every writer out.
                holder = std::make_unique<SQLite::Database>(s.daemon.dbPath(),
                                                            SQLite::OPEN_READWRITE, 10'000);
                holder->exec("BEGIN EXCLUSIVE");
              },
              [&] {
                holder->exec("COMMIT");
                holder.reset();
              }};
  survive(s, fault);
  CHECK(s.daemon.stderrLog().find("locked") != std::string::npos);
}

TEST_CASE("a full disk (a filled tmpfs) gets 503s, and everything resumes once space is freed",
          "[integration][storage]") {
  TempDir dir;
  TmpfsMount tmpfs(dir.file("fs"), "8m");
  if (!tmpfs.mounted()) {
    WARN("skipped: cannot mount a tmpfs here (" << tmpfs.error()
                                                << "); needs root or CAP_SYS_ADMIN");
    return;
  }
  // The harness keeps the store at dir/appkeeper.db; SQLite follows the link (and puts -wal and
  // -shm beside the target, on the tmpfs too).
  fs::create_symlink(dir.file("fs/appkeeper.db"), dir.file("appkeeper.db"));
  Scenario s(dir, {});
  s.daemon.start();
  const std::string filler = dir.file("fs/filler");
  Fault fault{"disk full (tmpfs)",
              [&] {
                const size_t n = fill(filler, 64u << 20);
                std::printf("[storage fault tmpfs] filled the 8 MB tmpfs with %zu bytes\n", n);
              },
              [&] { fs::remove(filler); },
              /*probeUntilRefused=*/true};
  survive(s, fault);
  CHECK(s.daemon.stderrLog().find("full") != std::string::npos);
}

TEST_CASE(
    "a file-size limit reached (RLIMIT_FSIZE) gets 503s, not a SIGXFSZ death, and the "
    "daemon recovers when it is lifted",
    "[integration][storage]") {
  TempDir dir;
  Scenario s(dir, {});
  s.daemon.start();
  rlimit before{};
  Fault fault{"file size limit",
              [&] {
                const rlimit zero{0, RLIM_INFINITY};  // soft 0: no write may extend or overwrite
                REQUIRE(::prlimit(s.daemon.pid(), RLIMIT_FSIZE, &zero, &before) == 0);
              },
              [&] { REQUIRE(::prlimit(s.daemon.pid(), RLIMIT_FSIZE, &before, nullptr) == 0); },
              /*probeUntilRefused=*/false,
              /*workerLogVisible=*/false};
  survive(s, fault);
}

TEST_CASE(
    "an unwritable database file (chattr +i) gets 503s, and writes resume when it is "
    "writable again",
    "[integration][storage]") {
  TempDir dir;
  {
    // Probe first: if the flag cannot be set here, say so instead of failing.
    ImmutableFlag probe{{dir.write("probe", "x")}};
    if (!probe.inject()) {
      WARN(
          "skipped: `chattr +i` is not possible here (needs CAP_LINUX_IMMUTABLE and a file "
          "system with the immutable flag, e.g. ext4)");
      return;
    }
  }
  Scenario s(dir, {});
  s.daemon.start();
  ImmutableFlag flag{{s.daemon.dbPath(), s.daemon.dbPath() + "-wal"}};
  bool injected = false;
  Fault fault{"unwritable (chattr +i)", [&] { injected = flag.inject(); }, [&] { flag.clear(); }};
  survive(s, fault);
  CHECK(injected);
}
