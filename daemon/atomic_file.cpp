#include "daemon/atomic_file.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace appkeeper::daemon {
namespace {

std::string systemSays() { return std::strerror(errno); }

// fsync of a file or directory by path; false with errno set on failure.
bool syncPath(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  errno = saved;
  return ok;
}

}  // namespace

Result<std::unique_ptr<AtomicFile>> AtomicFile::create(const std::string& path) {
  std::string temp = path + ".tmp-XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) {
    return Error::invalidInput("cannot create a temporary file beside " + path + ": " +
                               systemSays() + "; check that the directory exists and is writable");
  }
  ::close(fd);  // reopened as a stream below; mkstemp made it 0600 and unique
  std::unique_ptr<AtomicFile> file(new AtomicFile(path, temp));
  if (!file->out_) {
    return Error::transient("cannot open the temporary file " + temp + " for writing");
  }
  return file;
}

AtomicFile::AtomicFile(std::string path, std::string tempPath)
    : path_(std::move(path)),
      tempPath_(std::move(tempPath)),
      out_(tempPath_, std::ios::binary | std::ios::trunc) {}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  out_.close();
  std::error_code ignored;  // best effort: a destructor never throws
  std::filesystem::remove(tempPath_, ignored);
}

Status AtomicFile::commit() {
  const auto fail = [this](const std::string& what) -> Status {
    out_.close();
    std::error_code ignored;
    std::filesystem::remove(tempPath_, ignored);
    committed_ = true;  // nothing left for the destructor
    return Error::transient(what);
  };
  if (committed_) return Error::internal("AtomicFile::commit called twice for " + path_);
  out_.flush();
  if (!out_) return fail("cannot write " + tempPath_ + " (disk full?); " + path_ + " is unchanged");
  out_.close();
  if (!out_) return fail("cannot close " + tempPath_ + "; " + path_ + " is unchanged");
  // Durable before it is visible: a crash after the rename must not leave an empty file.
  if (!syncPath(tempPath_, O_RDONLY)) {
    return fail("cannot sync " + tempPath_ + ": " + systemSays() + "; " + path_ + " is unchanged");
  }
  if (std::rename(tempPath_.c_str(), path_.c_str()) != 0) {
    return fail("cannot rename " + tempPath_ + " to " + path_ + ": " + systemSays());
  }
  committed_ = true;
  std::string dir = std::filesystem::path(path_).parent_path().string();
  if (dir.empty()) dir = ".";
  // The rename itself survives a crash only once the directory is synced; the file is complete
  // either way, so a failure here is not worth failing the export for.
  syncPath(dir, O_RDONLY | O_DIRECTORY);
  return Ok{};
}

}  // namespace appkeeper::daemon
