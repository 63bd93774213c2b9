// Helpers for the daemon tests: a temp dir per test, a discarding logger, a fixed TokenSource,
// and FakeGraph, a small in-memory Graph (catalog, teams, installations, upgrade) answering the
// GraphClient through the shared FakeTransport. FakeGraph records what it was asked and takes
// faults to answer next; it is deliberately far simpler than the emulator.
#pragma once

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <deque>
#include <functional>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/teams_types.h"
#include "common/version.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_random.h"
#include "fakes/fake_sleeper.h"
#include "fakes/fake_transport.h"
#include "graph/graph_client.h"
#include "graph/rate_limiter.h"
#include "graph/token_source.h"
#include "store/store.h"
#include "fakes/temp_dir.h"

namespace appkeeper::daemon::testing {

using appkeeper::testing::FakeClock;
using appkeeper::testing::TempDir;
using appkeeper::testing::FakeRandom;
using appkeeper::testing::FakeSleeper;
using appkeeper::testing::FakeTransport;
using namespace std::chrono_literals;


inline std::shared_ptr<spdlog::logger> nullLogger() {
  return std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
}

template <typename T>
T must(Result<T> r) {
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r.ok());
  return std::move(r).value();
}

class StaticTokenSource final : public graph::TokenSource {
 public:
  explicit StaticTokenSource(std::string token) : token_(std::move(token)) {}
  Result<std::string> token(bool) override { return token_; }

 private:
  std::string token_;
};

inline RscPermission app(const std::string& value) { return {value, "application"}; }
inline RscPermission delegated(const std::string& value) { return {value, "delegated"}; }

class FakeGraph {
 public:
  static constexpr const char* kBase = "https://graph.test/v1.0";
  static constexpr const char* kTenant = "tenant-1";

  struct Upgrade {
    std::string teamId, installationId, body, authorization;
  };

  // Teams t1..tN, in pages of `pageSize`.
  void addTeams(int n);
  void addApp(const std::string& id, const std::string& displayName,
              const std::string& externalId = "");
  // A definition of `appId`; "published" unless told otherwise.
  void addVersion(const std::string& appId, const std::string& version,
                  std::vector<RscPermission> rsc = {}, const std::string& state = "published");
  // Installs `appId` in `teamId` at `version`; returns the installation id.
  std::string install(const std::string& teamId, const std::string& appId,
                      const std::string& version);
  std::string versionIn(const std::string& installationId) const;
  // Changes Graph's side only (what a notification would report, or drift the daemon missed).
  void setVersion(const std::string& installationId, const std::string& version);
  void uninstall(const std::string& installationId);
  void removeTeam(const std::string& teamId);

  // POST/GET/PATCH/DELETE /subscriptions. `subscriptions` holds Graph's side by id (the JSON
  // Graph answers, plus "clientState"); tests may add strays or drop entries.
  std::map<std::string, nlohmann::json> subscriptions;
  int subscriptionCreates = 0, subscriptionRenewals = 0, subscriptionDeletes = 0;
  std::deque<graph::HttpResponse> subscriptionCreateFaults;
  // Called while a create is "validating", before the 201 (a notification may race it).
  std::function<void(const nlohmann::json& body)> onSubscriptionCreate;

  // Answers for the next upgrade POSTs / catalog GETs, before the normal behaviour resumes.
  std::deque<graph::HttpResponse> upgradeFaults;
  std::deque<graph::HttpResponse> catalogFaults;
  std::deque<graph::HttpResponse> installationGetFaults;

  std::vector<Upgrade> upgrades;
  int catalogGets = 0, teamPageGets = 0, installationLists = 0, installationGets = 0;
  size_t pageSize = 2;

  // Routes every request of `net` here.
  void attach(FakeTransport& net);
  Result<graph::HttpResponse> handle(const graph::HttpRequest& request);

  static graph::HttpResponse error(int status, const std::string& code,
                                   const std::string& innerCode = "",
                                   const std::string& retryAfter = "");

 private:
  struct App {
    std::string id, externalId, displayName;
    std::vector<AppDefinition> definitions;
  };
  struct Installation {
    std::string teamId, id, appId, version;
  };
  nlohmann::json appJson(const App& app) const;
  nlohmann::json installationJson(const Installation& i) const;
  const AppDefinition* latest(const std::string& appId) const;

  Result<graph::HttpResponse> handleSubscriptions(const graph::HttpRequest& request,
                                                  const std::vector<std::string>& segments,
                                                  int requestId);

  std::vector<std::string> teams_;
  int subscriptionIds_ = 0;
  std::map<std::string, App> apps_;
  std::vector<Installation> installations_;
  int requestIds_ = 0;
};

// A GraphClient over FakeGraph with fake time, no rate limits and one attempt per GET (retry
// behaviour belongs to the graph tests; here it would only hide what the daemon does).
struct GraphHarness {
  FakeClock clock;
  FakeTransport net;
  FakeGraph graph;
  StaticTokenSource tokens{"app-token"};
  graph::RateLimiter limiter{graph::RateLimits{0, 0, 0}, clock};
  FakeSleeper sleeper{&clock};
  FakeRandom random;
  graph::GraphClient client;

  GraphHarness();
  static graph::GraphClientOptions options();
};

std::vector<store::AuditRecord> auditOf(store::Store& s, const std::string& event,
                                        const std::string& outcome = "");

}  // namespace appkeeper::daemon::testing
