#include "daemon/store_owner.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "fakes/temp_dir.h"

using namespace appkeeper::daemon;
using appkeeper::testing::TempDir;

TEST_CASE("only root switches, and only to a folder owned by someone else",
          "[daemon][store_owner]") {
  TempDir dir;
  std::filesystem::create_directory(dir.file("state"));
  const std::string db = dir.file("state") + "/appkeeper.db";
  CHECK_FALSE(storeOwnerToBecome(db, 1000).has_value());  // not root: nothing to do
  CHECK_FALSE(storeOwnerToBecome(dir.file("missing") + "/appkeeper.db", 0).has_value());
  if (::geteuid() != 0) {
    WARN("not root: the chown half of this test did not run");
    return;
  }
  CHECK_FALSE(storeOwnerToBecome(db, 0).has_value());  // root's own folder
  REQUIRE(::chown(dir.file("state").c_str(), 65534, 65534) == 0);
  auto owner = storeOwnerToBecome(db, 0);
  REQUIRE(owner.has_value());
  CHECK(owner->uid == 65534);
  CHECK(owner->gid == 65534);
  CHECK(owner->folder == dir.file("state"));
}
