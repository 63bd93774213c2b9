// IniFile: the INI dialect of appkeeper's configuration, parsed into (section, key) -> value with
// the line each value came from. Syntax: "[section]", "key = value", full-line comments starting
// with ';' or '#', and trailing comments introduced by whitespace followed by ';' or '#'.
// Section and key names are case-insensitive (stored lower-case); values are trimmed.
//
// Errors (kInvalidInput) name the file and line: "config FILE:12: expected ...". A key outside a
// section and a key given twice in one section are errors.
// Pure value type; thread-compatible.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"

namespace appkeeper::daemon {

struct IniValue {
  std::string value;
  int line = 0;
};

class IniFile {
 public:
  // `fileName` only labels error messages.
  static Result<IniFile> parse(std::string_view text, const std::string& fileName);

  std::optional<IniValue> get(const std::string& section, const std::string& key) const;
  // Every (section, key) in the file, for unknown-key checks.
  const std::map<std::pair<std::string, std::string>, IniValue>& entries() const {
    return entries_;
  }

 private:
  std::map<std::pair<std::string, std::string>, IniValue> entries_;
};

}  // namespace appkeeper::daemon
