#include <array>
#include <utility>

#include "store/store.h"

namespace appkeeper::store {
namespace {

// The spelling is persisted in jobs.state (and its CHECK constraint): never rename one.
constexpr std::array<std::pair<JobState, const char*>, 6> kNames = {{
    {JobState::kQueued, "queued"},
    {JobState::kRunning, "running"},
    {JobState::kSucceeded, "succeeded"},
    {JobState::kSkipped, "skipped"},
    {JobState::kFailed, "failed"},
    {JobState::kBlocked, "blocked"},
}};

}  // namespace

const char* toString(JobState s) {
  for (const auto& [state, name] : kNames) {
    if (state == s) return name;
  }
  return "unknown";
}

std::optional<JobState> jobStateFromString(std::string_view s) {
  for (const auto& [state, name] : kNames) {
    if (s == name) return state;
  }
  return std::nullopt;
}

}  // namespace appkeeper::store
