#include "daemon/store_owner.h"

#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace appkeeper::daemon {
namespace {

Error failed(const FileOwner& owner, const std::string& step, int err) {
  return Error::permanent("cannot switch to uid " + std::to_string(owner.uid) + " gid " +
                          std::to_string(owner.gid) + " (the owner of " + owner.folder +
                          "): " + step + ": " + std::strerror(err) +
                          "; run login as that user, or as root with the capabilities to change "
                          "ids (CAP_SETUID, CAP_SETGID)");
}

// Keeps CAP_DAC_READ_SEARCH alone in the permitted and effective sets (setuid with
// PR_SET_KEEPCAPS kept the permitted set and cleared the effective one).
int keepReadSearchOnly() {
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  const auto bit = CAP_TO_MASK(CAP_DAC_READ_SEARCH);
  data[CAP_TO_INDEX(CAP_DAC_READ_SEARCH)].permitted = bit;
  data[CAP_TO_INDEX(CAP_DAC_READ_SEARCH)].effective = bit;
  return static_cast<int>(::syscall(SYS_capset, &header, data));
}

}  // namespace

std::optional<FileOwner> storeOwnerToBecome(const std::string& storePath, uid_t euid) {
  if (euid != 0) return std::nullopt;
  std::filesystem::path folder = std::filesystem::path(storePath).parent_path();
  if (folder.empty()) folder = ".";
  struct stat st {};
  if (::stat(folder.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid == 0) {
    return std::nullopt;
  }
  return FileOwner{st.st_uid, st.st_gid, folder.string()};
}

Status becomeOwner(const FileOwner& owner) {
  if (::prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0) return failed(owner, "prctl", errno);
  const gid_t groups[] = {owner.gid};
  if (::setgroups(1, groups) != 0) return failed(owner, "setgroups", errno);
  if (::setresgid(owner.gid, owner.gid, owner.gid) != 0) return failed(owner, "setgid", errno);
  if (::setresuid(owner.uid, owner.uid, owner.uid) != 0) return failed(owner, "setuid", errno);
  const int keepErr = keepReadSearchOnly() != 0 ? errno : 0;
  ::prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);
  if (keepErr != 0) return failed(owner, "capset (CAP_DAC_READ_SEARCH)", keepErr);
  // Paranoia: the switch must not be undoable.
  if (::setuid(0) == 0) return failed(owner, "the old ids could be regained", EPERM);
  return Ok{};
}

}  // namespace appkeeper::daemon
