// Lowers the calling thread's CPU priority by `increment` nice steps (Linux keeps a nice value
// per thread). Background work then yields to the threads answering requests while the CPU is
// contended, and runs at full speed while it is idle. Best effort: false when the kernel
// refused, and nothing else changes.
#pragma once

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace appkeeper {

inline bool lowerThisThreadPriority(int increment) {
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  errno = 0;
  const int current = ::getpriority(PRIO_PROCESS, tid);
  if (current == -1 && errno != 0) return false;
  return ::setpriority(PRIO_PROCESS, tid, std::min(19, current + increment)) == 0;
}

// The calling thread's nice value (tests).
inline int thisThreadNice() {
  return ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
}

}  // namespace appkeeper
