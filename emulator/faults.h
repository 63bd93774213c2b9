// FaultInjector: failures on demand, per route key ("POST upgrade", "GET teams", "*", ...; see
// route_table.h), each rule firing by probability or for the next `count` matching requests.
// Kinds: 500, 502, 503 (with Retry-After), 504, 400 (a transient BadRequest with an empty
// innerError code, as in microsoft-graph-docs#20972), hang (hold the connection, then close it
// without an answer), drop (close at once), truncate (Content-Length promises more than is
// sent), nonjson (200 with an HTML body), 429 (TooManyRequests with Retry-After) and
// 429-no-retry-after (the same without the header, which Graph sometimes sends).
//
// Deterministic: probability draws come from the one Random given (a SplitMix64 seeded from
// --seed), only for rules that match, in rule order; so the same seed and the same request
// sequence inject the same faults.
// Borrows the Random (must outlive it). Thread-safety: every member is thread-safe (one mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/result.h"
#include "emulator/http_types.h"
#include "nlohmann/json.hpp"

namespace appkeeper::emulator {

enum class FaultKind {
  k500,
  k502,
  k503,
  k504,
  kTransient400,
  kHang,
  kDrop,
  kTruncate,
  kNonJson,
  k429,
  k429NoRetryAfter,
};

const char* toString(FaultKind kind);
std::optional<FaultKind> faultKindFromString(const std::string& text);

struct FaultRule {
  std::string route;  // a route key or "*"
  FaultKind kind = FaultKind::k503;
  std::optional<double> probability;  // in [0, 1]
  std::optional<int64_t> count;       // remaining firings
  int64_t fired = 0;
};

struct FaultSettings {
  std::vector<FaultRule> rules;
  int retryAfterSeconds = 1;  // on 503 and 429 (not on 429-no-retry-after); 0: no header
  std::chrono::milliseconds hang{60000};
};

// {"rules":[{"route","kind","probability"|"count"}], "retryAfterSeconds", "hangMs"}; a bare
// array of rules is accepted too. Strict: unknown kinds or members are errors.
Result<FaultSettings> faultSettingsFromJson(const nlohmann::json& body, const FaultSettings& base);
nlohmann::json toJson(const FaultSettings& settings);

class FaultInjector {
 public:
  explicit FaultInjector(Random& random);

  void set(FaultSettings settings);
  void clear();  // no rules; timing settings kept
  FaultSettings current() const;
  // The fault to inject into this request, if any (and counts it).
  std::optional<FaultKind> next(const std::string& routeKey);

 private:
  Random& random_;
  mutable std::mutex mu_;
  FaultSettings settings_;  // guarded by mu_
};

// What the routes answer for a fault: a Graph error (or, on the token route, the identity
// platform's), or a Response whose `misbehave` tells the server what to do to the connection.
Response faultResponse(FaultKind kind, const RequestContext& ctx, const FaultSettings& settings,
                       bool identityShape, WallTime now);

}  // namespace appkeeper::emulator
