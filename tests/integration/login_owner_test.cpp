// `sudo appkeeper login` against a daemon whose state directory belongs to the service's
// (dynamic) user: login becomes that user before opening the store, so the database and its
// -wal/-shm files keep the service's ownership. The store folder sits inside the test's
// root-only (0700) temp dir, like /var/lib/private/appkeeper behind /var/lib/private.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "integration/harness.h"

using namespace appkeeper::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr uid_t kServiceUid = 65534;
constexpr gid_t kServiceGid = 65534;

// "appkeeper.db" and its companions in `folder`, each with its owner uid.
std::map<std::string, uid_t> storeFiles(const std::string& folder) {
  std::map<std::string, uid_t> out;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("appkeeper.db", 0) != 0) continue;
    struct stat st {};
    REQUIRE(::stat(entry.path().c_str(), &st) == 0);
    out[name] = st.st_uid;
  }
  return out;
}

}  // namespace

TEST_CASE("login run as root keeps the service user's ownership of the database files",
          "[integration][delegated][login_owner]") {
  if (::geteuid() != 0) {
    WARN("not root: this test did not run (it needs to chown and to switch users)");
    return;
  }
  TempDir dir;
  EmulatorProcess emu(dir, {"--teams", "2", "--seed", "5", "--device-code-interval", "1"});
  const std::string state = dir.file("state");
  fs::create_directory(state);
  REQUIRE(::chown(state.c_str(), kServiceUid, kServiceGid) == 0);
  fs::permissions(state, fs::perms::owner_all);
  DaemonOptions options;
  options.extraEnv = {
      {"APPKEEPER_STORE_PATH", state + "/appkeeper.db"},
      {"APPKEEPER_DELEGATED_KEY_FILE", writeDelegatedKey(dir)},
      {"APPKEEPER_DELEGATED_DEVICE_CODE_URL", emu.baseUrl() + "/{tenant}/oauth2/v2.0/devicecode"}};
  DaemonProcess daemon(dir, emu, options);  // writes the config; the daemon is not started

  ChildProcess login(buildDir() + "/daemon/appkeeper", {"login", "--config", daemon.configPath()},
                     dir.file("login.log"), options.extraEnv);
  std::string prompt, code;
  for (int lines = 0; lines < 10 && code.empty(); ++lines) {
    auto line = login.readLine(20s);
    if (!line) break;
    prompt += *line + "\n";
    if (line->rfind("user code: ", 0) == 0) code = line->substr(11);
  }
  INFO("login printed:\n" << prompt << "stderr:\n" << readFile(dir.file("login.log")));
  REQUIRE_FALSE(code.empty());
  CHECK(prompt.find("running as uid 65534, the owner of " + state) != std::string::npos);
  // The store is open (and migrated, in WAL mode) while login waits for the admin.
  auto files = storeFiles(state);
  REQUIRE(files.count("appkeeper.db") == 1);
  CHECK(files.count("appkeeper.db-wal") == 1);
  CHECK(files.count("appkeeper.db-shm") == 1);
  for (const auto& [name, uid] : files) {
    INFO(name);
    CHECK(uid == kServiceUid);
  }

  REQUIRE(emu.control("POST", "/_emulator/devicecodes/" + code + "/approve",
                      {{"user", "admin@contoso.example"}})
              .status == 200);
  REQUIRE(login.wait(30s) == 0);
  files = storeFiles(state);
  REQUIRE(files.count("appkeeper.db") == 1);
  for (const auto& [name, uid] : files) {
    INFO(name);
    CHECK(uid == kServiceUid);
  }
  // The sign-in is stored where the daemon will find it.
  const std::string status = daemon.runCli({"status", "--config", daemon.configPath()});
  CHECK(status.find("Delegated sign-in: signed in as admin@contoso.example") != std::string::npos);
}
