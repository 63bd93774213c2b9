// Shared helpers for the emulator's unit tests: a request builder that splits a target the way
// the Poco adapter does, and TestEmulator — an EmulatorCore over a small seeded tenant with a
// FakeClock and seeded randomness, driven without sockets.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "emulator/emulator_core.h"
#include "emulator/http_types.h"
#include "emulator/prng.h"
#include "emulator/seed.h"
#include "emulator/tenant_model.h"
#include "fakes/fake_clock.h"
#include "nlohmann/json.hpp"

namespace appkeeper::emulator::testing {

inline constexpr const char* kTenant = "11111111-1111-1111-1111-111111111111";
inline constexpr const char* kClientId = "22222222-2222-2222-2222-222222222222";
inline constexpr const char* kSecret = "emulator-secret";
inline constexpr const char* kHost = "127.0.0.1:8080";

using Headers = std::vector<std::pair<std::string, std::string>>;

// `target` is path + optional query as a client would send it (percent-encoded).
Request makeRequest(const std::string& method, const std::string& target,
                    const std::string& body = "", const Headers& headers = {});
// The value of a response header (first match, case-insensitive), or "".
std::string header(const Response& r, const std::string& name);
nlohmann::json body(const Response& r);
// The target (path + query) of an absolute URL on kHost; FAILs the test when it is not one.
std::string targetOf(const std::string& absoluteUrl);
std::string formBody(const std::vector<std::pair<std::string, std::string>>& fields);

struct TestOptions {
  size_t teams = 30;
  uint64_t seed = 7;
  size_t pageSize = 5;
  bool throttle = false;  // most tests are not about throttling
  ThrottleLimits limits{};
};

class TestEmulator {
 public:
  explicit TestEmulator(TestOptions options = {});
  explicit TestEmulator(std::unique_ptr<TenantModel> model, TestOptions options = {});

  Response call(const std::string& method, const std::string& target, const std::string& body = "",
                Headers headers = {});
  // A Graph call with a valid app-only token.
  Response graph(const std::string& method, const std::string& target, const std::string& body = "",
                 Headers headers = {});
  // A fresh app-only token from the token endpoint.
  std::string token();
  Response control(const std::string& method, const std::string& path,
                   const nlohmann::json& body = nullptr);

  App app(const std::string& displayName) const;
  // Some installation of the app (the first in team order), with its team.
  Installation installationOf(const std::string& displayName) const;

  appkeeper::testing::FakeClock clock;
  SplitMix64 ids{99};
  std::unique_ptr<EmulatorCore> core;

 private:
  std::optional<std::string> token_;
};

}  // namespace appkeeper::emulator::testing
