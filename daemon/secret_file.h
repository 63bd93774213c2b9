// Secrets (client secret, webhook secret) are read from files, never from the INI itself: the
// config names a file by path, or by a bare name that systemd's LoadCredential= placed under
// $CREDENTIALS_DIRECTORY. The contents never appear in a message.
//
// Errors are kInvalidInput and say which file could not be used and why, without the "[section]
// key" prefix (the caller adds it). Pure apart from reading the file; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "common/result.h"

namespace appkeeper::daemon {

// `reference` with a '/' is a path (a relative one is taken relative to `baseDir`, the config
// file's folder); a bare name is looked up in `credentialsDirectory`. The file's contents with
// surrounding whitespace (a trailing newline) removed; an empty file is an error.
Result<std::string> readSecret(const std::string& reference, const std::string& baseDir,
                               const std::optional<std::string>& credentialsDirectory);

}  // namespace appkeeper::daemon
