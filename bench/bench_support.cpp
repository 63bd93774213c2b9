#include "bench/bench_support.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace appkeeper::bench {

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

double statusKb(const std::string& status, const std::string& key) {
  auto at = status.find(key + ":");
  if (at == std::string::npos) return 0;
  return std::strtod(status.c_str() + at + key.size() + 1, nullptr);
}

}  // namespace

double loadAverage1() { return std::strtod(slurp("/proc/loadavg").c_str(), nullptr); }

std::string machineLine() {
  std::string load = slurp("/proc/loadavg");
  std::istringstream parts(load);
  std::string l1, l5, l15;
  parts >> l1 >> l5 >> l15;
  utsname u{};
  ::uname(&u);
  char when[64];
  std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  std::ostringstream out;
  out << std::thread::hardware_concurrency() << " cores, load " << l1 << " " << l5 << " " << l15
      << ", " << u.sysname << " " << u.release << " " << u.machine << ", " << when;
  return out.str();
}

ProcessCost processCost(pid_t pid) {
  ProcessCost cost;
  const std::string base = "/proc/" + std::to_string(pid);
  const std::string status = slurp(base + "/status");
  cost.peakRssMb = statusKb(status, "VmHWM") / 1024.0;
  cost.rssMb = statusKb(status, "VmRSS") / 1024.0;
  const std::string stat = slurp(base + "/stat");
  // Fields after the command name (which may contain blanks) start after the last ')'.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return cost;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  cost.cpuSeconds = static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  return cost;
}

pid_t findProcess(const std::string& needle) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = slurp(entry.path().string() + "/cmdline");
    for (auto& c : cmdline) {
      if (c == '\0') c = ' ';
    }
    if (cmdline.find(needle) != std::string::npos) {
      return static_cast<pid_t>(std::stol(name));
    }
  }
  return -1;
}

}  // namespace appkeeper::bench
