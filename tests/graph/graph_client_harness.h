// GraphClientHarness: everything a GraphClient borrows, faked (FakeTransport, FakeTokenSource,
// FakeClock, a FakeSleeper that advances it, FakeRandom; rate limits off unless a test sets
// them), plus the Graph bodies the client tests answer with. One per test; not thread-safe.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fakes/fake_clock.h"
#include "fakes/fake_random.h"
#include "fakes/fake_sleeper.h"
#include "fakes/fake_transport.h"
#include "graph/fake_token_source.h"
#include "graph/graph_client.h"

namespace appkeeper::testing {

inline const std::string kGraphBase = "https://graph.test/v1.0";

struct GraphClientHarness {
  FakeClock clock;
  FakeTransport net;
  FakeTokenSource tokens;
  graph::RateLimiter limiter{{0, 0, 0}, clock};
  FakeSleeper sleeper{&clock};
  FakeRandom random;
  graph::GraphClientOptions options{kGraphBase, "tenant-1"};
  std::unique_ptr<graph::GraphClient> client;

  graph::GraphClient& make() {
    client =
        std::make_unique<graph::GraphClient>(options, net, tokens, limiter, clock, sleeper, random);
    return *client;
  }
};

inline const char* kInstallationJson = R"({"id":"aW5zdA==","teamsApp":{"id":"app-1"},
  "teamsAppDefinition":{"id":"ZGVm","teamsAppId":"app-1","version":"1.0.0"}})";

// One GET /teams page with the given ids and, when not empty, an @odata.nextLink.
inline std::string teamsPageJson(const std::vector<std::string>& ids, const std::string& next) {
  nlohmann::json page = {{"value", nlohmann::json::array()}};
  for (const auto& id : ids) page["value"].push_back({{"id", id}, {"displayName", "T " + id}});
  if (!next.empty()) page["@odata.nextLink"] = next;
  return page.dump();
}

// Graph's error body (shared/graph-api.md 5.1).
inline std::string graphErrorJson(const std::string& code, const std::string& inner,
                                  const std::string& message = "something went wrong") {
  return nlohmann::json{{"error",
                         {{"code", code},
                          {"message", message},
                          {"innerError", {{"code", inner}, {"request-id", "req-body"}}}}}}
      .dump();
}

}  // namespace appkeeper::testing
