#include "emulator/throttle.h"

#include <algorithm>

namespace appkeeper::emulator {
namespace {

constexpr std::chrono::milliseconds kWindow{1000};

}  // namespace

Throttle::Throttle(const Clock& clock, ThrottleLimits limits)
    : clock_(clock), origin_(clock.steadyNow()), limits_(limits) {}

void Throttle::prune(Window& w, SteadyTime now) const {
  while (!w.empty() && w.front() + kWindow <= now) w.pop_front();
}

std::chrono::seconds Throttle::waitFor(const Window& w, size_t limit, SteadyTime now) const {
  // Room appears when admission number size-limit (0-based) leaves the window, one second
  // after it was made; round up to whole seconds, >= 1.
  auto wait =
      std::chrono::duration_cast<std::chrono::milliseconds>(w[w.size() - limit] + kWindow - now);
  auto secs = std::chrono::seconds((wait.count() + 999) / 1000);
  return std::max(secs, std::chrono::seconds(1));
}

ThrottleDecision Throttle::admit(const std::string& tenantId, Budget budget,
                                 const std::string& teamId) {
  ThrottleDecision out;
  std::lock_guard lock(mu_);
  if (!limits_.enabled || (budget == Budget::kNone && teamId.empty())) return out;
  const SteadyTime now = clock_.steadyNow();

  Window* tenantWindow = nullptr;
  int tenantLimit = 0;
  if (budget == Budget::kGet) {
    tenantWindow = &get_[tenantId];
    tenantLimit = limits_.getPerSecond;
  } else if (budget == Budget::kPost) {
    tenantWindow = &post_[tenantId];
    tenantLimit = limits_.postPerSecond;
  }
  Window* teamWindow = nullptr;
  if (!teamId.empty()) {
    // Sweep idle team windows now and then so memory follows the active teams only.
    if (++sweepCountdown_ >= 4096) {
      sweepCountdown_ = 0;
      for (auto it = team_.begin(); it != team_.end();) {
        prune(it->second, now);
        it = it->second.empty() ? team_.erase(it) : std::next(it);
      }
    }
    teamWindow = &team_[tenantId + "|" + teamId];
  }

  if (tenantWindow) {
    prune(*tenantWindow, now);
    if (tenantLimit > 0 && tenantWindow->size() >= static_cast<size_t>(tenantLimit)) {
      out.allowed = false;
      out.retryAfter = waitFor(*tenantWindow, static_cast<size_t>(tenantLimit), now);
      out.scope = budget == Budget::kGet ? "GET" : "POST";
    }
  }
  if (teamWindow) {
    prune(*teamWindow, now);
    if (limits_.perTeamPerSecond > 0 &&
        teamWindow->size() >= static_cast<size_t>(limits_.perTeamPerSecond)) {
      auto wait = waitFor(*teamWindow, static_cast<size_t>(limits_.perTeamPerSecond), now);
      if (out.allowed || wait > out.retryAfter) {
        out.retryAfter = wait;
        out.scope = "team";
      }
      out.allowed = false;
    }
  }
  if (!out.allowed) {
    const auto second = std::chrono::duration_cast<std::chrono::seconds>(now - origin_).count();
    ++refusals_[second];
    if (refusals_.size() > kMaxRefusalSeconds) refusals_.erase(refusals_.begin());
    return out;
  }
  if (tenantWindow) {
    tenantWindow->push_back(now);
    size_t& max = budget == Budget::kGet ? maxGet_ : maxPost_;
    max = std::max(max, tenantWindow->size());
  }
  if (teamWindow) {
    teamWindow->push_back(now);
    maxTeam_ = std::max(maxTeam_, teamWindow->size());
  }
  return out;
}

ThrottleLimits Throttle::limits() const {
  std::lock_guard lock(mu_);
  return limits_;
}

void Throttle::setLimits(const ThrottleLimits& limits) {
  std::lock_guard lock(mu_);
  limits_ = limits;
}

nlohmann::json Throttle::observations() const {
  std::lock_guard lock(mu_);
  return {{"get", maxGet_}, {"post", maxPost_}, {"team", maxTeam_}};
}

nlohmann::json Throttle::refusalsPerSecond() const {
  std::lock_guard lock(mu_);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [second, n] : refusals_) out[std::to_string(second)] = n;
  return out;
}

void Throttle::resetObservations() {
  std::lock_guard lock(mu_);
  maxGet_ = maxPost_ = maxTeam_ = 0;
  refusals_.clear();
}

}  // namespace appkeeper::emulator
