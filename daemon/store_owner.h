// Running `appkeeper login` as root against a daemon that runs as another (often dynamic) user:
// the database, and the -wal/-shm files SQLite creates next to it, must keep the service's
// ownership, or the daemon can no longer write its own store. So login, once it has read the
// config and the key as root, becomes the owner of the store's folder before opening the store.
//
// becomeOwner() switches the real, effective and saved ids (setgroups, setgid, setuid) and
// keeps one capability, CAP_DAC_READ_SEARCH: with DynamicUser=, the folder is reached through
// /var/lib/private, which is root's alone (0700), and only read/search rights are needed to get
// through it; writes are checked against the new ids, and new files belong to them.
//
// Not thread-safe in spirit: call it before any thread starts (the ids of the calling thread
// change; glibc propagates them to other threads, but an operation in flight would race).
// Errors: kPermanent naming the step that failed and what to do.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "common/result.h"

namespace appkeeper::daemon {

struct FileOwner {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string folder;  // for messages
};

// The owner of the folder holding `storePath`, when `euid` is root and the folder belongs to
// another user; nullopt otherwise (not root, a root-owned folder, or no folder yet).
std::optional<FileOwner> storeOwnerToBecome(const std::string& storePath, uid_t euid);

Status becomeOwner(const FileOwner& owner);

}  // namespace appkeeper::daemon
