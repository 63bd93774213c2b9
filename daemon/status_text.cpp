#include "daemon/status_text.h"

namespace appkeeper::daemon {

std::string withThousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

std::string statusText(const std::map<store::JobState, int64_t>& counts) {
  auto count = [&](store::JobState s) {
    auto it = counts.find(s);
    return it == counts.end() ? int64_t{0} : it->second;
  };
  const int64_t running = count(store::JobState::kRunning);
  std::string text = withThousands(running) + (running == 1 ? " job" : " jobs") + " running, " +
                     withThousands(count(store::JobState::kQueued)) + " queued";
  if (const int64_t failed = count(store::JobState::kFailed); failed > 0) {
    text += ", " + withThousands(failed) + " failed";
  }
  if (const int64_t blocked = count(store::JobState::kBlocked); blocked > 0) {
    text += ", " + withThousands(blocked) + " need delegated consent";
  }
  return text;
}

}  // namespace appkeeper::daemon
