#include "daemon/team_reader.h"

#include <algorithm>
#include <exception>
#include <optional>
#include <thread>

#include "common/log_context.h"

namespace appkeeper::daemon {

std::vector<Result<std::vector<TeamInstallation>>> readTeamInstallations(
    graph::GraphClient& graph, const std::vector<std::string>& teamIds,
    const std::string& teamsAppId, int concurrency, const std::function<void()>& alongside,
    const std::atomic<bool>* stop) {
  using Installed = Result<std::vector<TeamInstallation>>;
  std::vector<std::optional<Installed>> reads(teamIds.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> transientSeen{false};
  auto reader = [&] {
    while (true) {
      const size_t i = next.fetch_add(1);
      if (i >= teamIds.size()) return;
      if (stop != nullptr && *stop) {
        Error e = Error::transient("not read: shutting down");
        e.code = graph::kCancelledCode;
        reads[i] = std::move(e);
        continue;
      }
      if (transientSeen) {
        // The page is redone anyway: do not spend the GET budget on it now.
        reads[i] = Error::transient("not read: another team of the page failed transiently");
        continue;
      }
      LogScope teamScope({.teamId = teamIds[i]});
      try {
        reads[i] = teamsAppId.empty() ? graph.listTeamInstallations(teamIds[i])
                                      : graph.listTeamInstallations(teamIds[i], teamsAppId);
      } catch (const std::exception& e) {
        reads[i] = Error::internal(std::string("reading the team's installed apps: ") + e.what());
      } catch (...) {
        reads[i] = Error::internal("reading the team's installed apps failed unexpectedly");
      }
      if (!*reads[i] && reads[i]->error().kind == ErrorKind::kTransient) transientSeen = true;
    }
  };
  {
    const size_t readers =
        std::min<size_t>(teamIds.size(), static_cast<size_t>(std::max(1, concurrency)));
    std::vector<std::jthread> threads;  // joined when the block ends, also on an exception
    threads.reserve(readers + 1);
    if (alongside) {
      threads.emplace_back([&] {
        try {
          alongside();
        } catch (...) {
          // Extra work only (a look-ahead): its owner notices the missing result.
        }
      });
    }
    for (size_t t = 1; t < readers; ++t) threads.emplace_back(reader);
    reader();  // the calling thread reads too: concurrency 1 starts no reader thread
  }
  std::vector<Installed> out;
  out.reserve(reads.size());
  for (auto& r : reads) out.push_back(r ? std::move(*r) : Installed(Error::internal("not read")));
  return out;
}

}  // namespace appkeeper::daemon
