// The one-line service status systemd shows (sd_notify STATUS=), e.g.
// "3 jobs running, 1,204 queued" (+ ", 2 failed, 5 need delegated consent" when there are any).
// Pure; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "store/store.h"

namespace appkeeper::daemon {

// 1204 -> "1,204".
std::string withThousands(int64_t n);

std::string statusText(const std::map<store::JobState, int64_t>& counts);

}  // namespace appkeeper::daemon
