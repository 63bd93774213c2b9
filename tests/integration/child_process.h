// ChildProcess: a real process for integration tests (the emulator, the daemon). RAII: the
// destructor kills (SIGKILL) and reaps it. stdout is a pipe the test reads line by line with a
// deadline; stderr goes to a file in the test's temp dir so a failure can show it.
// Not thread-safe: one owner.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace appkeeper::testing {

class ChildProcess {
 public:
  ChildProcess(const std::string& path, const std::vector<std::string>& args,
               const std::string& stderrFile, const std::map<std::string, std::string>& env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The next stdout line, or nullopt at EOF or when `timeout` passes.
  std::optional<std::string> readLine(std::chrono::milliseconds timeout);
  void signal(int sig);
  // Waits (bounded) for exit; the exit code, 128+signal, or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  bool running();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int stdoutFd_ = -1;
  std::string buffer_;
  std::optional<int> status_;
};

std::string readFile(const std::string& path);

}  // namespace appkeeper::testing
