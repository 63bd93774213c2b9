// Helpers shared by the fan-out and cost benchmarks: what the machine was doing (cores, load),
// a process's peak RSS and CPU time from /proc, and the daemon's pid found by its config path.
// Linux only (reads /proc). Thread-compatible; errors come back as zero values.
#pragma once

#include <sys/types.h>

#include <string>

namespace appkeeper::bench {

// "2 cores, load 1.16 1.13 1.65, Linux 6.1 x86_64, 2026-11-29 12:22 UTC"
std::string machineLine();
// The 1-minute load average, for the figure it is recorded beside.
double loadAverage1();

struct ProcessCost {
  double cpuSeconds = 0;   // utime + stime, /proc/PID/stat
  double peakRssMb = 0;    // VmHWM, /proc/PID/status
  double rssMb = 0;        // VmRSS now
};
ProcessCost processCost(pid_t pid);

// The pid of a running process whose command line contains `needle` (e.g. a config path); -1
// when none.
pid_t findProcess(const std::string& needle);

}  // namespace appkeeper::bench
