#include "graph/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace appkeeper::graph {
namespace {

// Team entries are only dropped once the map is this large, so a steady tenant pays nothing.
constexpr size_t kTeamPruneThreshold = 1024;
// A team's window is widened by this fraction (see the header: delays before Graph counts).
constexpr double kTeamWindowGuard = 0.10;

// After a 429 the budgets' pace is cut by this factor, never below kThrottleMinRateScale, and
// climbs back by kThrottleRecoveryPerSecond (of the configured rate) each second.
constexpr double kThrottleRateCut = 0.9;
constexpr double kThrottleMinRateScale = 0.5;
constexpr double kThrottleRecoveryPerSecond = 0.002;

// How many requests a team may have in one window, and the window's length.
struct TeamWindow {
  size_t burst = 0;  // 0: no per-team limit
  SteadyTime::duration length{};
};

TeamWindow teamWindowFor(double perSecond) {
  if (!(perSecond > 0)) return {};
  const double burst = std::max(1.0, std::floor(perSecond));
  return {static_cast<size_t>(burst),
          std::chrono::duration_cast<SteadyTime::duration>(
              std::chrono::duration<double>(burst / perSecond * (1.0 + kTeamWindowGuard)))};
}

SteadyTime::duration spacingFor(double perSecond) {
  if (!(perSecond > 0)) return SteadyTime::duration::zero();  // also catches NaN
  return std::chrono::duration_cast<SteadyTime::duration>(
      std::chrono::duration<double>(1.0 / perSecond));
}

}  // namespace

RateLimiter::RateLimiter(RateLimits limits, const Clock& clock) : clock_(clock), limits_(limits) {}

SteadyTime RateLimiter::firstFreeSlot(const Schedule& schedule, SteadyTime earliest,
                                      SteadyTime::duration spacing) {
  SteadyTime candidate = earliest;
  // Reservations at least `spacing` before the candidate cannot conflict; walk the rest in time
  // order and jump past each one that is closer than `spacing`.
  for (auto it = schedule.upper_bound(candidate - spacing); it != schedule.end(); ++it) {
    if (*it >= candidate + spacing) break;  // a gap wide enough
    candidate = std::max(candidate, *it + spacing);
  }
  return candidate;
}

std::chrono::milliseconds RateLimiter::reserve(Budget budget, const std::string& teamId) {
  const SteadyTime now = clock_.steadyNow();
  std::lock_guard lock(mu_);
  const double scale = rateScale(now);
  const auto spacing =
      spacingFor((budget == Budget::kGet ? limits_.getPerSecond : limits_.postPerSecond) * scale);
  const TeamWindow window = teamWindowFor(limits_.perTeamPerSecond);
  Schedule& schedule = budget == Budget::kGet ? get_ : post_;

  SteadyTime earliest = std::max(now, pausedUntil_);
  TeamSlots* team = nullptr;
  if (!teamId.empty() && window.burst > 0) {
    team = &teams_[teamId];
    while (team->size() > window.burst) team->pop_front();  // the limits may have shrunk
    if (!team->empty()) earliest = std::max(earliest, team->back());  // call order
    if (team->size() == window.burst) earliest = std::max(earliest, team->front() + window.length);
  }
  SteadyTime slot = earliest;
  if (spacing > SteadyTime::duration::zero()) {
    slot = firstFreeSlot(schedule, earliest, spacing);
    schedule.insert(slot);
  }
  if (team != nullptr) {
    team->push_back(slot);
    if (team->size() > window.burst) team->pop_front();
  }
  prune(now, window.length, scale);

  // Rounded up: a caller that sleeps the returned wait never sends before its slot.
  auto wait = std::chrono::ceil<std::chrono::milliseconds>(slot - now);
  totalWait_ += wait;
  return wait;
}

void RateLimiter::prune(SteadyTime now, SteadyTime::duration teamWindow, double scale) {
  const std::pair<Schedule*, double> budgets[] = {{&get_, limits_.getPerSecond * scale},
                                                  {&post_, limits_.postPerSecond * scale}};
  for (const auto& [schedule, rate] : budgets) {
    // A past slot still constrains new ones for one spacing; older ones never do.
    const SteadyTime horizon = now - spacingFor(rate);
    schedule->erase(schedule->begin(), schedule->lower_bound(horizon));
  }
  if (teams_.size() > std::max(kTeamPruneThreshold, 2 * teamsAtLastPrune_)) {
    // A team whose latest slot left the window constrains nothing any more.
    std::erase_if(teams_, [now, teamWindow](const auto& entry) {
      return entry.second.empty() || entry.second.back() + teamWindow <= now;
    });
    teamsAtLastPrune_ = teams_.size();
  }
}

void RateLimiter::pauseUntil(SteadyTime until) {
  std::lock_guard lock(mu_);
  pausedUntil_ = std::max(pausedUntil_, until);
}

double RateLimiter::rateScale(SteadyTime now) const {
  if (rateScaleAtCut_ >= 1.0) return 1.0;
  const double since = std::chrono::duration<double>(now - lastRateCut_).count();
  return std::min(1.0, rateScaleAtCut_ + kThrottleRecoveryPerSecond * std::max(0.0, since));
}

void RateLimiter::onThrottled(SteadyTime until) {
  const SteadyTime now = clock_.steadyNow();
  std::lock_guard lock(mu_);
  if (pausedUntil_ <= now) {
    rateScaleAtCut_ = std::max(kThrottleMinRateScale, rateScale(now) * kThrottleRateCut);
    lastRateCut_ = now;
  }
  pausedUntil_ = std::max(pausedUntil_, until);
}

std::chrono::milliseconds RateLimiter::pauseLeft() const {
  const SteadyTime now = clock_.steadyNow();
  std::lock_guard lock(mu_);
  if (pausedUntil_ <= now) return std::chrono::milliseconds::zero();
  return std::chrono::ceil<std::chrono::milliseconds>(pausedUntil_ - now);
}

void RateLimiter::setLimits(RateLimits limits) {
  std::lock_guard lock(mu_);
  limits_ = limits;
}

std::chrono::milliseconds RateLimiter::totalWait() const {
  std::lock_guard lock(mu_);
  return totalWait_;
}

size_t RateLimiter::trackedTeams() const {
  std::lock_guard lock(mu_);
  return teams_.size();
}

}  // namespace appkeeper::graph
