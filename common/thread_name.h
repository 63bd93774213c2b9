// Names the calling thread for the kernel (top -H, ps -L, perf, gdb, core dumps), so an admin
// or a profile can tell the inbound writer from the planner from a worker. Linux keeps 15
// characters; longer names are cut, never refused. Best effort: a failure changes nothing else.
#pragma once

#include <pthread.h>

#include <string>

namespace appkeeper {

inline void nameThisThread(const std::string& name) {
  const std::string cut = name.substr(0, 15);
  ::pthread_setname_np(::pthread_self(), cut.c_str());
}

}  // namespace appkeeper
