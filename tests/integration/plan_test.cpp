// `appkeeper plan` against the real emulator with a scenario of fixed ids, versions and RSC
// sets: the exact classification and permission diff, and that a dry run writes nothing.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>

#include "integration/harness.h"

using namespace appkeeper::testing;

namespace {

constexpr const char* kTeam1 = "00000000-0000-4000-8000-000000000001";
constexpr const char* kTeam2 = "00000000-0000-4000-8000-000000000002";
constexpr const char* kTeam3 = "00000000-0000-4000-8000-000000000003";
constexpr const char* kTeam4 = "00000000-0000-4000-8000-000000000004";
constexpr const char* kWidget = "aaaaaaaa-0000-4000-8000-00000000000a";
constexpr const char* kTasks = "bbbbbbbb-0000-4000-8000-00000000000b";

nlohmann::json perm(const std::string& value, const std::string& type) {
  return {{"permissionValue", value}, {"permissionType", type}};
}

// Plan Widget: 1.0.0 {TeamSettings}, 1.1.0 {TeamSettings, ChannelMessage},
// 2.0.0 {ChannelMessage, ChannelSettings (delegated)}, 3.0.0 submitted (never a target).
std::string writeScenario(const TempDir& dir) {
  nlohmann::json scenario = {
      {"description", "appkeeper plan: one RSC app, one plain app, four teams"},
      {"teams",
       {{{"id", kTeam1}, {"displayName", "Alpha"}},
        {{"id", kTeam2}, {"displayName", "Beta"}},
        {{"id", kTeam3}, {"displayName", "Gamma"}},
        {{"id", kTeam4}, {"displayName", "Delta"}}}},
      {"apps",
       {{{"id", kWidget},
         {"displayName", "Plan Widget"},
         {"externalId", "plan-widget-manifest"},
         {"distributionMethod", "organization"},
         {"versions",
          {{{"version", "1.0.0"},
            {"resourceSpecificPermissions", {perm("TeamSettings.Read.Group", "application")}}},
           {{"version", "1.1.0"},
            {"resourceSpecificPermissions",
             {perm("TeamSettings.Read.Group", "application"),
              perm("ChannelMessage.Read.Group", "application")}}},
           {{"version", "2.0.0"},
            {"resourceSpecificPermissions",
             {perm("ChannelMessage.Read.Group", "application"),
              perm("ChannelSettings.Read.Group", "delegated")}}},
           {{"version", "3.0.0"}, {"publishingState", "submitted"}}}}},
        {{"id", kTasks},
         {"displayName", "Plan Tasks"},
         {"distributionMethod", "organization"},
         {"versions", {{{"version", "1.0.0"}}, {{"version", "2.0.0"}}}}}}},
      {"installations",
       {{{"teamId", kTeam1}, {"teamsAppId", kWidget}, {"version", "1.0.0"}},
        {{"teamId", kTeam2}, {"teamsAppId", kWidget}, {"version", "1.1.0"}},
        {{"teamId", kTeam3}, {"teamsAppId", kWidget}, {"version", "2.0.0"}},
        {{"teamId", kTeam4}, {"teamsAppId", kWidget}, {"version", "1.0.0"}},
        {{"teamId", kTeam1}, {"teamsAppId", kTasks}, {"version", "1.0.0"}},
        {{"teamId", kTeam2}, {"teamsAppId", kTasks}, {"version", "2.0.0"}}}}};
  const std::string path = dir.file("scenario.json");
  std::ofstream(path) << scenario.dump(2);
  return path;
}

nlohmann::json planJson(const DaemonProcess& daemon, const std::string& app) {
  int code = -1;
  std::string out = daemon.runCli(
      {"plan", "--app", app, "--config", daemon.configPath(), "--format", "json"}, &code);
  INFO(out);
  REQUIRE(code == 0);
  return nlohmann::json::parse(out);
}

std::map<std::string, std::string> actionsByTeam(const nlohmann::json& plan) {
  std::map<std::string, std::string> out;
  for (const auto& i : plan.at("installations")) {
    out[i.at("teamId").get<std::string>()] = i.at("action").get<std::string>();
  }
  return out;
}

}  // namespace

TEST_CASE("plan classifies each installation of an RSC app and diffs its permissions",
          "[integration][plan]") {
  TempDir dir;
  EmulatorProcess emu(dir, {"--scenario", writeScenario(dir)});
  DaemonProcess daemon(dir, emu);  // writes the config; `serve` is never started

  auto plan = planJson(daemon, "plan-widget-manifest");  // by externalId
  CHECK(plan.at("app").at("id") == kWidget);
  CHECK(plan.at("source") == "graph");
  CHECK(plan.at("delegatedLogin") == false);
  CHECK(plan.at("target").at("version") == "2.0.0");
  CHECK(plan.at("target").at("rsc") ==
        nlohmann::json::array({perm("ChannelMessage.Read.Group", "application"),
                               perm("ChannelSettings.Read.Group", "delegated")}));
  CHECK(actionsByTeam(plan) ==
        std::map<std::string, std::string>{{kTeam1, "needs-delegated-consent"},
                                           {kTeam2, "needs-delegated-consent"},
                                           {kTeam3, "skip"},
                                           {kTeam4, "needs-delegated-consent"}});
  CHECK(plan.at("counts") ==
        nlohmann::json{{"upgrade", 0}, {"skip", 1}, {"needsDelegatedConsent", 3}});

  const auto& changes = plan.at("permissionChanges");
  REQUIRE(changes.size() == 3);
  CHECK(changes[0].at("fromVersion") == "1.0.0");
  CHECK(changes[0].at("installations") == 2);
  CHECK(changes[0].at("added") ==
        nlohmann::json::array({perm("ChannelMessage.Read.Group", "application"),
                               perm("ChannelSettings.Read.Group", "delegated")}));
  CHECK(changes[0].at("removed") ==
        nlohmann::json::array({perm("TeamSettings.Read.Group", "application")}));
  CHECK(changes[1].at("fromVersion") == "1.1.0");
  CHECK(changes[1].at("added") ==
        nlohmann::json::array({perm("ChannelSettings.Read.Group", "delegated")}));
  CHECK(changes[1].at("removed") ==
        nlohmann::json::array({perm("TeamSettings.Read.Group", "application")}));
  CHECK(changes[2].at("fromVersion") == "2.0.0");
  CHECK(changes[2].at("added").empty());
  CHECK(changes[2].at("removed").empty());

  // A dry run: nothing was upgraded and no database was created.
  for (const auto& inst : emu.installations(kWidget)) CHECK(inst.at("upgrades") == 0);
  CHECK_FALSE(std::filesystem::exists(daemon.dbPath()));
}

TEST_CASE("plan of an app without RSC upgrades the outdated and skips the current",
          "[integration][plan]") {
  TempDir dir;
  EmulatorProcess emu(dir, {"--scenario", writeScenario(dir)});
  DaemonProcess daemon(dir, emu);

  auto plan = planJson(daemon, kTasks);
  CHECK(plan.at("target").at("version") == "2.0.0");
  CHECK(plan.at("target").at("rsc").empty());
  CHECK(actionsByTeam(plan) ==
        std::map<std::string, std::string>{{kTeam1, "upgrade"}, {kTeam2, "skip"}});

  int code = -1;
  const std::string text =
      daemon.runCli({"plan", "--app", kTasks, "--config", daemon.configPath()}, &code);
  CHECK(code == 0);
  CHECK(text.find("Target:     2.0.0\n") != std::string::npos);
  CHECK(text.find("Installations: 1 to upgrade, 1 to skip, 0 need delegated consent") !=
        std::string::npos);
  for (const auto& inst : emu.installations(kTasks)) CHECK(inst.at("upgrades") == 0);

  daemon.runCli({"plan", "--app", "no-such-app", "--config", daemon.configPath()}, &code);
  CHECK(code == 1);
}
