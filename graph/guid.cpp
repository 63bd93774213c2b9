#include "graph/guid.h"

#include <cstdint>

namespace appkeeper::graph {

std::string newGuid(Random& random) {
  constexpr char kHex[] = "0123456789abcdef";
  constexpr uint64_t kNoBound = ~uint64_t{0};
  uint64_t hi = random.below(kNoBound);
  uint64_t lo = random.below(kNoBound);
  hi = (hi & ~uint64_t{0xF000}) | 0x4000;                      // version 4
  lo = (lo & ~(uint64_t{0xC} << 60)) | (uint64_t{0x8} << 60);  // RFC 4122 variant
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 32; ++i) {
    uint64_t word = i < 16 ? hi : lo;
    int shift = 60 - 4 * (i % 16);
    out.push_back(kHex[(word >> shift) & 0xF]);
    if (i == 7 || i == 11 || i == 15 || i == 19) out.push_back('-');
  }
  return out;
}

}  // namespace appkeeper::graph
