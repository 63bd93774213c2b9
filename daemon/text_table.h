// TextTable: aligned plain-text columns for the CLI (`audit`, `jobs`). Cells are made printable
// (control characters become spaces) and empty cells show as "-"; the last column is not padded,
// so a long detail does not widen every line. Value type; thread-compatible.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace appkeeper::daemon {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header);
  void addRow(std::vector<std::string> cells);
  void write(std::ostream& out) const;

 private:
  std::vector<std::vector<std::string>> rows_;  // rows_[0] is the header
};

}  // namespace appkeeper::daemon
