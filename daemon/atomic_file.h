// AtomicFile: writes a file so that readers see either what was there before or the complete new
// content, never a part of it (`appkeeper audit export --output`). The bytes go to a temporary
// file beside the target (same directory, so the rename is atomic); commit() flushes, fsyncs,
// renames it over the target and fsyncs the directory. Without a successful commit() (an error,
// an exception, an early return) the destructor removes the temporary file and the target stays
// as it was. The new file has mode 0600 (it may hold audit data; loosen it afterwards if needed).
//
// One owner; not thread-safe. Errors: kInvalidInput when the temporary file cannot be created
// (missing directory, no permission), kTransient when writing, syncing or renaming fails; each
// message names the path and what the system said.
#pragma once

#include <fstream>
#include <memory>
#include <ostream>
#include <string>

#include "common/result.h"

namespace appkeeper::daemon {

class AtomicFile {
 public:
  static Result<std::unique_ptr<AtomicFile>> create(const std::string& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Where to write; valid until commit() or destruction.
  std::ostream& stream() { return out_; }
  // Publishes the content under the target path. Call once; after a failure the temporary file
  // is removed and the target untouched.
  Status commit();

 private:
  AtomicFile(std::string path, std::string tempPath);

  std::string path_, tempPath_;
  std::ofstream out_;
  bool committed_ = false;
};

}  // namespace appkeeper::daemon
