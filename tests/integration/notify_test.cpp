// `appkeeper serve` under systemd's notify protocol, with a NOTIFY_SOCKET the test owns (what
// systemd does for Type=notify): READY=1 with a STATUS= line once the store is migrated and the
// listener bound, WATCHDOG=1 pings at half of WATCHDOG_USEC, STOPPING=1 on SIGTERM.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "integration/harness.h"

using namespace appkeeper::testing;
using std::chrono::milliseconds;

namespace {

// A bound AF_UNIX datagram socket, closed on destruction.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof addr.sun_path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~NotifySocket() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  // Every datagram received until `until` says stop or `timeout` passes (bounded).
  std::vector<std::string> collect(
      milliseconds timeout, const std::function<bool(const std::vector<std::string>&)>& until) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!until(messages_) && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) messages_.emplace_back(buf, static_cast<size_t>(n));
    }
    return messages_;
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<std::string> messages_;
};

size_t countContaining(const std::vector<std::string>& messages, const std::string& needle) {
  size_t n = 0;
  for (const auto& m : messages) n += m.find(needle) != std::string::npos ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("under systemd the daemon sends READY with STATUS, watchdog pings and STOPPING",
          "[integration][systemd]") {
  TempDir dir;
  EmulatorProcess emulator(dir, {"--teams", "5", "--seed", "3"});
  NotifySocket socket(dir.file("notify.sock"));
  DaemonOptions options;
  options.extraEnv = {{"NOTIFY_SOCKET", dir.file("notify.sock")}, {"WATCHDOG_USEC", "400000"}};
  DaemonProcess daemon(dir, emulator, options);
  daemon.start();

  auto messages = socket.collect(milliseconds(10'000), [](const auto& m) {
    return countContaining(m, "READY=1") >= 1 && countContaining(m, "WATCHDOG=1") >= 3;
  });
  INFO(daemon.stderrLog());
  REQUIRE(countContaining(messages, "READY=1") == 1);
  CHECK(countContaining(messages, "WATCHDOG=1") >= 3);
  // READY comes with the first STATUS line, and only after /readyz could answer.
  for (const auto& m : messages) {
    if (m.find("READY=1") != std::string::npos) CHECK(m.find("STATUS=") != std::string::npos);
  }
  CHECK(daemon.stderrLog().find("systemd watchdog on") != std::string::npos);

  CHECK(daemon.terminate() == 0);
  messages = socket.collect(milliseconds(2'000),
                            [](const auto& m) { return countContaining(m, "STOPPING=1") >= 1; });
  CHECK(countContaining(messages, "STOPPING=1") == 1);
}

TEST_CASE("without NOTIFY_SOCKET the daemon runs without systemd and says nothing of a watchdog",
          "[integration][systemd]") {
  TempDir dir;
  EmulatorProcess emulator(dir, {"--teams", "5", "--seed", "3"});
  DaemonProcess daemon(dir, emulator);
  daemon.start();
  CHECK(daemon.terminate() == 0);
  CHECK(daemon.stderrLog().find("watchdog") == std::string::npos);
}
