#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "daemon/audit_format.h"
#include "daemon/jobs_format.h"
#include "daemon/status_text.h"
#include "daemon/time_text.h"

using namespace appkeeper;
using namespace appkeeper::daemon;

namespace {

store::AuditRecord upgraded() {
  store::AuditRecord r;
  r.id = 42;
  r.time = fromUnixMillis(1'764'410'400'123);  // 2025-11-29T10:00:00.123Z
  r.event = "upgrade";
  r.tenantId = "tenant-1";
  r.teamId = "team-1";
  r.installationId = "inst-1";
  r.teamsAppId = "app-1";
  r.fromVersion = "1.0.0";
  r.toVersion = "2.0.0";
  r.outcome = "upgraded";
  r.httpStatus = 204;
  r.requestId = "req-9";
  r.attempt = 2;
  r.detail = "upgraded from 1.0.0 to 2.0.0";
  r.permissions = {{"Channel.Create.Group", "application"}};
  r.jobId = 7;
  return r;
}

}  // namespace

TEST_CASE("audit jsonl carries the contract keys, one object per line", "[daemon][format]") {
  std::ostringstream out;
  store::AuditRecord plan;
  plan.event = "plan";
  plan.outcome = "planned";
  writeAuditJsonl(out, {upgraded(), plan});
  std::istringstream lines(out.str());
  std::string first, second, extra;
  REQUIRE(std::getline(lines, first));
  REQUIRE(std::getline(lines, second));
  CHECK_FALSE(std::getline(lines, extra));
  auto j = nlohmann::json::parse(first);
  for (const char* key :
       {"time", "event", "tenantId", "teamId", "installationId", "teamsAppId", "fromVersion",
        "toVersion", "outcome", "httpStatus", "requestId", "attempt", "detail", "permissions"}) {
    INFO(key);
    CHECK(j.contains(key));
  }
  CHECK(j["time"] == "2025-11-29T10:00:00.123Z");
  CHECK(j["httpStatus"] == 204);
  CHECK(j["attempt"] == 2);
  CHECK(j["jobId"] == 7);
  CHECK(j["permissions"] ==
        nlohmann::json::parse(
            R"([{"permissionValue":"Channel.Create.Group","permissionType":"application"}])"));
  auto p = nlohmann::json::parse(second);
  CHECK(p["jobId"].is_null());
  CHECK(p["permissions"] == nlohmann::json::array());
}

TEST_CASE("the audit table aligns its columns and keeps the detail last", "[daemon][format]") {
  std::ostringstream out;
  store::AuditRecord plan;
  plan.time = fromUnixMillis(1'764'410'401'000);
  plan.event = "plan";
  plan.outcome = "planned";
  plan.teamsAppId = "app-1";
  plan.toVersion = "2.0.0";
  plan.detail = "line\nbreak";
  writeAuditTable(out, {upgraded(), plan});
  CHECK(out.str() ==
        "TIME                  EVENT    OUTCOME   APP    TEAM    VERSION         HTTP  ATTEMPT  "
        "DETAIL\n"
        "2025-11-29T10:00:00Z  upgrade  upgraded  app-1  team-1  1.0.0 -> 2.0.0  204   2        "
        "upgraded from 1.0.0 to 2.0.0\n"
        "2025-11-29T10:00:01Z  plan     planned   app-1  -       -> 2.0.0        -     -        "
        "line break\n");
}

TEST_CASE("job counts print only the states that have jobs", "[daemon][format]") {
  std::map<store::JobState, int64_t> counts{{store::JobState::kQueued, 1204},
                                            {store::JobState::kRunning, 3},
                                            {store::JobState::kSucceeded, 0},
                                            {store::JobState::kBlocked, 2}};
  std::ostringstream jsonl, table, empty;
  writeJobCounts(jsonl, counts, OutputFormat::kJsonl);
  CHECK(jsonl.str() ==
        "{\"count\":1204,\"state\":\"queued\"}\n{\"count\":3,\"state\":\"running\"}\n"
        "{\"count\":2,\"state\":\"blocked\"}\n");
  writeJobCounts(table, counts, OutputFormat::kTable);
  CHECK(table.str() == "STATE    COUNT\nqueued   1204\nrunning  3\nblocked  2\ntotal    1209\n");
  writeJobCounts(empty, {{store::JobState::kQueued, 0}}, OutputFormat::kTable);
  CHECK(empty.str() == "no jobs\n");
}

TEST_CASE("a job listed as jsonl has its identity, versions, schedule and last error",
          "[daemon][format]") {
  store::Job job;
  job.id = 5;
  job.state = store::JobState::kFailed;
  job.spec.teamId = "t";
  job.spec.installationId = "i";
  job.spec.teamsAppId = "a";
  job.spec.fromVersion = "1.0";
  job.spec.targetVersion = "2.0";
  job.attempt = 8;
  job.runAt = fromUnixMillis(0);
  job.lastError = "Graph answered 503";
  auto j = jobToJson(job);
  CHECK(j["state"] == "failed");
  CHECK(j["toVersion"] == "2.0");
  CHECK(j["runAt"] == "1970-01-01T00:00:00.000Z");
  CHECK(j["lastError"] == "Graph answered 503");
}

TEST_CASE("the systemd status line counts running and queued jobs with thousands separators",
          "[daemon][format]") {
  CHECK(statusText({{store::JobState::kRunning, 3}, {store::JobState::kQueued, 1204}}) ==
        "3 jobs running, 1,204 queued");
  CHECK(statusText({{store::JobState::kRunning, 1},
                    {store::JobState::kFailed, 2},
                    {store::JobState::kBlocked, 1000000}}) ==
        "1 job running, 0 queued, 2 failed, 1,000,000 need delegated consent");
  CHECK(withThousands(999) == "999");
  CHECK(withThousands(1000) == "1,000");
}

TEST_CASE("audit --since accepts relative ages and RFC 3339 times", "[daemon][format]") {
  const WallTime now = fromUnixMillis(1'800'000'000'000);
  CHECK(parseSince("30m", now).value() == now - std::chrono::minutes(30));
  CHECK(parseSince("1h", now).value() == now - std::chrono::hours(1));
  CHECK(parseSince("2d", now).value() == now - std::chrono::hours(48));
  CHECK(parseSince("90s", now).value() == now - std::chrono::seconds(90));
  CHECK(parseSince("1w", now).value() == now - std::chrono::hours(24 * 7));
  CHECK(toUnixMillis(parseSince("2025-11-29T10:00:00Z", now).value()) == 1'764'410'400'000);
  CHECK(toUnixMillis(parseSince("2025-11-29T11:00:00.5+01:00", now).value()) == 1'764'410'400'500);
  CHECK(toUnixMillis(parseSince("2025-11-29", now).value()) == 1'764'374'400'000);
  for (const char* bad : {"", "h", "1y", "-1h", "2025-13-01", "2025-11-29T10:00:00",
                          "2025-11-29T25:00:00Z", "yesterday"}) {
    INFO(bad);
    CHECK_FALSE(parseSince(bad, now).ok());
  }
}

TEST_CASE("RFC 3339 output round-trips through the parser", "[daemon][format]") {
  const WallTime t = fromUnixMillis(1'764'410'400'123);
  CHECK(formatRfc3339(t) == "2025-11-29T10:00:00.123Z");
  CHECK(parseRfc3339(formatRfc3339(t)) == t);
}
