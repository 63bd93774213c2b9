// UpgradePreview (the pure part of `appkeeper plan`) and its two output forms, on a known app.
#include "daemon/upgrade_preview.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "daemon/plan_format.h"
#include "daemon_test_support.h"

using namespace appkeeper;
using namespace appkeeper::daemon;
using appkeeper::daemon::testing::app;
using appkeeper::daemon::testing::delegated;

namespace {

// Insights: 1.0.0 {A}, 1.1.0 {A, B}, 2.0.0 {B, C(delegated)}; 3.0.0 only submitted.
CatalogApp insights() {
  CatalogApp a;
  a.id = "app-ins";
  a.externalId = "ext-ins";
  a.displayName = "Contoso Insights";
  a.definitions = {
      {"d1", "app-ins", "1.0.0", "published", {app("A.Group")}},
      {"d2", "app-ins", "1.1.0", "published", {app("B.Group"), app("A.Group")}},
      {"d3", "app-ins", "2.0.0", "published", {delegated("C.Group"), app("B.Group")}},
      {"d4", "app-ins", "3.0.0", "submitted", {}},
  };
  return a;
}

TeamInstallation at(const std::string& team, const std::string& version) {
  return {"tenant", team, "inst-" + team, "app-ins", "def", version};
}

std::vector<TeamInstallation> installs() {
  return {at("t3", "1.1.0"), at("t1", "1.0.0"), at("t2", "2.0.0"), at("t4", "1.0.0"),
          at("t5", "0.9.0")};
}

}  // namespace

TEST_CASE("the preview targets the newest published version with its RSC set", "[daemon][plan]") {
  auto p = previewUpgrade(insights(), installs(), false);
  REQUIRE(p.target.has_value());
  CHECK(p.target->version == "2.0.0");
  CHECK(p.target->rsc == std::vector<RscPermission>{app("B.Group"), delegated("C.Group")});
  CHECK(p.displayName == "Contoso Insights");
}

TEST_CASE("the preview diffs the RSC set of each installed version against the target",
          "[daemon][plan]") {
  auto p = previewUpgrade(insights(), installs(), false);
  REQUIRE(p.changes.size() == 4);
  CHECK(p.changes[0].fromVersion == "0.9.0");  // not in the catalog any more
  CHECK_FALSE(p.changes[0].known);
  CHECK(p.changes[1].fromVersion == "1.0.0");
  CHECK(p.changes[1].installations == 2);
  CHECK(p.changes[1].added == std::vector<RscPermission>{app("B.Group"), delegated("C.Group")});
  CHECK(p.changes[1].removed == std::vector<RscPermission>{app("A.Group")});
  CHECK(p.changes[2].fromVersion == "1.1.0");
  CHECK(p.changes[2].added == std::vector<RscPermission>{delegated("C.Group")});
  CHECK(p.changes[2].removed == std::vector<RscPermission>{app("A.Group")});
  CHECK(p.changes[3].fromVersion == "2.0.0");
  CHECK(p.changes[3].added.empty());
  CHECK(p.changes[3].removed.empty());
}

TEST_CASE("without a usable sign-in an RSC target needs delegated consent; current ones skip",
          "[daemon][plan]") {
  auto p = previewUpgrade(insights(), installs(), false);
  REQUIRE(p.installations.size() == 5);
  std::vector<std::pair<std::string, PreviewAction>> got;
  for (const auto& i : p.installations) got.emplace_back(i.installation.teamId, i.action);
  CHECK(got == std::vector<std::pair<std::string, PreviewAction>>{
                   {"t1", PreviewAction::kNeedsDelegatedConsent},
                   {"t2", PreviewAction::kSkip},
                   {"t3", PreviewAction::kNeedsDelegatedConsent},
                   {"t4", PreviewAction::kNeedsDelegatedConsent},
                   {"t5", PreviewAction::kNeedsDelegatedConsent}});
  CHECK(p.upgrade == 0);
  CHECK(p.skip == 1);
  CHECK(p.needsDelegatedConsent == 4);
  CHECK(p.installations[1].reason == "already current (2.0.0)");
}

TEST_CASE("with a usable sign-in every outdated installation is upgraded", "[daemon][plan]") {
  auto p = previewUpgrade(insights(), installs(), true);
  CHECK(p.upgrade == 4);
  CHECK(p.skip == 1);
  CHECK(p.needsDelegatedConsent == 0);
  CHECK(p.installations[0].reason == "1.0.0 -> 2.0.0 with the delegated sign-in");
}

TEST_CASE("an app without RSC upgrades with no sign-in at all", "[daemon][plan]") {
  CatalogApp tasks;
  tasks.id = "app-tasks";
  tasks.definitions = {{"d1", "app-tasks", "1.0.0", "published", {}},
                       {"d2", "app-tasks", "1.10.0", "published", {}},
                       {"d3", "app-tasks", "1.9.0", "published", {}}};
  auto p = previewUpgrade(tasks, {at("t1", "1.0.0"), at("t2", "1.10.0")}, false);
  REQUIRE(p.target.has_value());
  CHECK(p.target->version == "1.10.0");  // numeric, not text, order
  CHECK(p.upgrade == 1);
  CHECK(p.skip == 1);
}

TEST_CASE("an app with nothing published skips every installation", "[daemon][plan]") {
  CatalogApp a;
  a.id = "x";
  a.definitions = {{"d1", "x", "1.0.0", "submitted", {}}};
  auto p = previewUpgrade(a, {at("t1", "0.1.0")}, true);
  CHECK_FALSE(p.target.has_value());
  CHECK(p.skip == 1);
  CHECK_FALSE(p.changes[0].known);
}

TEST_CASE("the plan JSON carries target, permission changes, counts and classification",
          "[daemon][plan]") {
  auto p = previewUpgrade(insights(), {at("t1", "1.0.0"), at("t2", "2.0.0")}, false);
  auto j = planToJson(p, InstallationSource::kInventory);
  CHECK(j["source"] == "inventory");
  CHECK(j["app"]["displayName"] == "Contoso Insights");
  CHECK(j["delegatedLogin"] == false);
  CHECK(j["target"]["version"] == "2.0.0");
  CHECK(j["target"]["rsc"] == nlohmann::json::parse(R"([
      {"permissionValue":"B.Group","permissionType":"application"},
      {"permissionValue":"C.Group","permissionType":"delegated"}])"));
  CHECK(j["permissionChanges"][0]["fromVersion"] == "1.0.0");
  CHECK(j["permissionChanges"][0]["removed"] ==
        nlohmann::json::parse(R"([{"permissionValue":"A.Group","permissionType":"application"}])"));
  CHECK(j["counts"] ==
        nlohmann::json::parse(R"({"upgrade":0,"skip":1,"needsDelegatedConsent":1})"));
  CHECK(j["installations"][0]["action"] == "needs-delegated-consent");
  CHECK(j["installations"][1]["action"] == "skip");
}

TEST_CASE("the plan text names the target, the changes and each installation's fate",
          "[daemon][plan]") {
  auto p = previewUpgrade(insights(), {at("t1", "1.0.0"), at("t2", "2.0.0")}, false);
  std::ostringstream out;
  writePlanText(out, p, InstallationSource::kGraph);
  const std::string text = out.str();
  CHECK(text.find("Target:     2.0.0\n") != std::string::npos);
  CHECK(text.find("Target RSC: B.Group (application), C.Group (delegated)") != std::string::npos);
  CHECK(text.find("+B.Group (application), +C.Group (delegated)") != std::string::npos);
  CHECK(text.find("-A.Group (application)") != std::string::npos);
  CHECK(text.find("Installations: 0 to upgrade, 1 to skip, 1 need delegated consent") !=
        std::string::npos);
  CHECK(text.find("inst-t1       1.0.0    needs-delegated-consent  target needs") !=
        std::string::npos);
}
