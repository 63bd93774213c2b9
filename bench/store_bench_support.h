// Helpers shared by the store's own benchmarks (queue_bench, inbox_bench): count arguments, a
// scratch directory for their databases, and this process's CPU time and the machine's load.
// Linux only. Thread-compatible.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace appkeeper::bench {

// A file in `dir`, removed on destruction, that times write + fdatasync: what one
// synchronous=FULL WAL commit pays at least. Throws std::runtime_error when it cannot create,
// write or sync the file.
class SyncProbe {
 public:
  explicit SyncProbe(const std::string& dir);
  ~SyncProbe();
  SyncProbe(const SyncProbe&) = delete;
  SyncProbe& operator=(const SyncProbe&) = delete;
  // Writes `bytes` at `offset` and fdatasyncs the file; returns the seconds that took.
  double writeAndSync(const std::string& bytes, long long offset);

 private:
  std::string path_;
  int fd_;
};

// A positive integer; false (and `out` untouched) for anything else.
bool parseCount(const char* text, size_t& out);

// A temp dir under `parent`, named after `tool`, removed with everything in it on destruction.
class ScratchDir {
 public:
  ScratchDir(const std::string& parent, const std::string& tool);  // throws std::runtime_error
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The directories to run in when none was named: $TMPDIR (or /tmp), then /dev/shm when it
// exists, where fsync is free, so the store's CPU cost shows without the disk.
std::vector<std::string> defaultScratchParents();

// CPU seconds this process used so far (user + system): the figure that other load on the
// shared cores does not inflate much, unlike wall time.
double cpuSeconds();

// /proc/loadavg as one line.
std::string loadavgLine();

}  // namespace appkeeper::bench
