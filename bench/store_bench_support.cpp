#include "bench/store_bench_support.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace appkeeper::bench {

SyncProbe::SyncProbe(const std::string& dir)
    : path_(dir + "/sync-probe"),
      fd_(::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) {
  if (fd_ < 0) {
    throw std::runtime_error("cannot create " + path_ + ": " + std::strerror(errno));
  }
}

SyncProbe::~SyncProbe() {
  ::close(fd_);
  ::unlink(path_.c_str());
}

double SyncProbe::writeAndSync(const std::string& bytes, long long offset) {
  const auto start = std::chrono::steady_clock::now();
  if (::pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(offset)) !=
      static_cast<ssize_t>(bytes.size())) {
    throw std::runtime_error("cannot write " + path_ + ": " + std::strerror(errno));
  }
  if (::fdatasync(fd_) != 0) {
    throw std::runtime_error("cannot sync " + path_ + ": " + std::strerror(errno));
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool parseCount(const char* text, size_t& out) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0' || v == 0) return false;
  out = static_cast<size_t>(v);
  return true;
}

ScratchDir::ScratchDir(const std::string& parent, const std::string& tool) {
  std::string pattern = parent + "/appkeeper-" + tool + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("cannot create a temp dir under " + parent);
  }
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::vector<std::string> defaultScratchParents() {
  std::vector<std::string> dirs;
  const char* tmp = std::getenv("TMPDIR");
  dirs.emplace_back(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp");
  if (std::filesystem::is_directory("/dev/shm")) dirs.emplace_back("/dev/shm");
  return dirs;
}

double cpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto sec = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

std::string loadavgLine() {
  std::ifstream in("/proc/loadavg");
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace appkeeper::bench
