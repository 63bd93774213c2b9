// Helpers for the store tests: a temp dir owned by one test, a store opened on a real file in it
// (or :memory:), and compact builders for job specs and audit records.
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "fakes/fake_clock.h"
#include "store/store.h"
#include "fakes/temp_dir.h"

namespace appkeeper::store::testing {

using appkeeper::testing::FakeClock;
using appkeeper::testing::TempDir;
using namespace std::chrono_literals;


inline std::unique_ptr<Store> openOk(const std::string& path, const Clock& clock,
                                     OpenOptions options = {}) {
  auto opened = Store::open(path, clock, options);
  INFO((opened ? std::string() : opened.error().message));
  REQUIRE(opened.ok());
  return std::move(opened).value();
}

// Fails the test with the error message when `r` is not ok; returns the value.
template <typename T>
T& must(Result<T>& r) {
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r.ok());
  return r.value();
}
template <typename T>
T must(Result<T>&& r) {
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r.ok());
  return std::move(r).value();
}

inline JobSpec spec(const std::string& team, const std::string& target = "2.0.0",
                    const std::string& app = "app-1") {
  JobSpec s;
  s.tenantId = "tenant-1";
  s.teamId = team;
  s.installationId = "inst-" + team;
  s.teamsAppId = app;
  s.fromVersion = "1.0.0";
  s.targetVersion = target;
  return s;
}

inline AuditRecord audit(const std::string& outcome, const std::string& detail = "") {
  AuditRecord r;
  r.outcome = outcome;
  r.detail = detail;
  return r;
}

}  // namespace appkeeper::store::testing
