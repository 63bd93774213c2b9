#include "graph/backoff.h"

#include <algorithm>
#include <cstdint>

namespace appkeeper::graph {

using std::chrono::milliseconds;

Backoff::Backoff(milliseconds base, milliseconds cap, Random& random)
    : base_(std::max(base, milliseconds::zero())),
      cap_(std::max(cap, milliseconds::zero())),
      random_(random) {}

milliseconds Backoff::ceiling(int attempt) const {
  milliseconds c = base_;
  // Doubling stops at the cap, so large attempt numbers cannot overflow.
  for (int i = 0; i < attempt && c < cap_; ++i) c = c > cap_ / 2 ? cap_ : c * 2;
  return std::min(c, cap_);
}

milliseconds Backoff::delay(int attempt) const {
  auto c = static_cast<uint64_t>(ceiling(attempt).count());
  return milliseconds(static_cast<int64_t>(random_.below(c + 1)));
}

}  // namespace appkeeper::graph
