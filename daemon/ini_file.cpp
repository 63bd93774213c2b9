#include "daemon/ini_file.h"

#include <cctype>

namespace appkeeper::daemon {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A trailing comment starts at ';' or '#' preceded by whitespace, so values such as
// "https://host/#frag" or "a;b" survive.
std::string_view stripTrailingComment(std::string_view s) {
  for (size_t i = 1; i < s.size(); ++i) {
    if ((s[i] == ';' || s[i] == '#') && std::isspace(static_cast<unsigned char>(s[i - 1]))) {
      return s.substr(0, i);
    }
  }
  return s;
}

bool isName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

Error syntaxError(const std::string& file, int line, const std::string& what) {
  return Error::invalidInput("config " + file + ":" + std::to_string(line) + ": " + what);
}

}  // namespace

Result<IniFile> IniFile::parse(std::string_view text, const std::string& fileName) {
  IniFile ini;
  std::string section;
  bool inSection = false;
  int lineNo = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++lineNo;
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == ';' || line.front() == '#') {
      if (end == text.size()) break;
      continue;
    }
    line = trim(stripTrailingComment(line));
    if (line.front() == '[') {
      if (line.back() != ']') {
        return syntaxError(fileName, lineNo,
                           "a section header must end with ']': \"" + std::string(line) + "\"");
      }
      std::string_view name = trim(line.substr(1, line.size() - 2));
      if (!isName(name)) {
        return syntaxError(fileName, lineNo, "bad section name \"" + std::string(name) + "\"");
      }
      section = lower(name);
      inSection = true;
    } else {
      size_t eq = line.find('=');
      if (eq == std::string_view::npos) {
        return syntaxError(
            fileName, lineNo,
            "expected \"[section]\" or \"key = value\", got \"" + std::string(line) + "\"");
      }
      std::string_view key = trim(line.substr(0, eq));
      if (!isName(key)) {
        return syntaxError(fileName, lineNo, "bad key name \"" + std::string(key) + "\"");
      }
      if (!inSection) {
        return syntaxError(fileName, lineNo,
                           "key \"" + std::string(key) + "\" comes before any [section]");
      }
      auto [it, inserted] = ini.entries_.try_emplace(
          std::pair{section, lower(key)}, IniValue{std::string(trim(line.substr(eq + 1))), lineNo});
      if (!inserted) {
        return syntaxError(fileName, lineNo,
                           "[" + section + "] " + lower(key) + " is set twice (first on line " +
                               std::to_string(it->second.line) + ")");
      }
    }
    if (end == text.size()) break;
  }
  return ini;
}

std::optional<IniValue> IniFile::get(const std::string& section, const std::string& key) const {
  auto it = entries_.find({section, key});
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

}  // namespace appkeeper::daemon
