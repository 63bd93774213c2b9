// Fuzz target: Retry-After header values (graph/retry_after.h), read against three clocks:
// now, a clock near the Unix epoch and one near the end of what WallTime holds, so the year
// arithmetic of the RFC 850 form and the clamping are exercised at their edges.
// Input: the header value, byte for byte.
//
// Properties: nothing throws and no arithmetic overflows (UBSan); the wait is within [0, cap]
// for any cap; a value parseHttpDate reads is also a Retry-After.
#include <algorithm>
#include <cstdint>
#include <limits>

#include "fuzz/fuzz_input.h"
#include "graph/retry_after.h"

using namespace appkeeper;
using namespace appkeeper::graph;
using std::chrono::milliseconds;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view value = fuzz::asText(data, size);
  const WallTime clocks[] = {fromUnixMillis(1'700'000'000'000), fromUnixMillis(1000),
                             fromUnixMillis(9'000'000'000'000)};
  const milliseconds caps[] = {std::chrono::hours(1), milliseconds(0), milliseconds(-5),
                               milliseconds(std::numeric_limits<int64_t>::max())};
  for (const WallTime now : clocks) {
    for (const milliseconds cap : caps) {
      const auto wait = parseRetryAfter(value, now, cap);
      if (wait) {
        APPKEEPER_FUZZ_CHECK(wait->count() >= 0);
        APPKEEPER_FUZZ_CHECK(*wait <= std::max(cap, milliseconds(0)));
      }
    }
    if (const auto date = parseHttpDate(value, now)) {
      const auto wait = parseRetryAfter(value, now, std::chrono::hours(1));
      APPKEEPER_FUZZ_CHECK(wait.has_value());
    }
  }
  return 0;
}
