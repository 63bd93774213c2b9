#include "graph/rate_limiter.h"

#include <algorithm>

namespace appkeeper::graph {
namespace {

// Team entries are only dropped once the map is this large, so a steady tenant pays nothing.
constexpr size_t kTeamPruneThreshold = 1024;

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
  const auto spacing =
      spacingFor(budget == Budget::kGet ? limits_.getPerSecond : limits_.postPerSecond);
  const auto teamSpacing = spacingFor(limits_.perTeamPerSecond);
  Schedule& schedule = budget == Budget::kGet ? get_ : post_;

  SteadyTime earliest = std::max(now, pausedUntil_);
  const bool perTeam = !teamId.empty() && teamSpacing > SteadyTime::duration::zero();
  if (perTeam) {
    auto it = teamNext_.find(teamId);
    if (it != teamNext_.end()) earliest = std::max(earliest, it->second);
  }
  SteadyTime slot = earliest;
  if (spacing > SteadyTime::duration::zero()) {
    slot = firstFreeSlot(schedule, earliest, spacing);
    schedule.insert(slot);
  }
  if (perTeam) teamNext_[teamId] = slot + teamSpacing;
  prune(now);

  // Rounded up: a caller that sleeps the returned wait never sends before its slot.
  auto wait = std::chrono::ceil<std::chrono::milliseconds>(slot - now);
  totalWait_ += wait;
  return wait;
}

void RateLimiter::prune(SteadyTime now) {
  const std::pair<Schedule*, double> budgets[] = {{&get_, limits_.getPerSecond},
                                                  {&post_, limits_.postPerSecond}};
  for (const auto& [schedule, rate] : budgets) {
    // A past slot still constrains new ones for one spacing; older ones never do.
    const SteadyTime horizon = now - spacingFor(rate);
    schedule->erase(schedule->begin(), schedule->lower_bound(horizon));
  }
  if (teamNext_.size() > std::max(kTeamPruneThreshold, 2 * teamsAtLastPrune_)) {
    std::erase_if(teamNext_, [now](const auto& entry) { return entry.second <= now; });
    teamsAtLastPrune_ = teamNext_.size();
  }
}

void RateLimiter::pauseUntil(SteadyTime until) {
  std::lock_guard lock(mu_);
  pausedUntil_ = std::max(pausedUntil_, until);
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
  return teamNext_.size();
}

}  // namespace appkeeper::graph
