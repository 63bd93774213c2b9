#include "daemon/text_table.h"

#include <algorithm>

namespace appkeeper::daemon {
namespace {

std::string printable(std::string s) {
  if (s.empty()) return "-";
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  }
  return s;
}

}  // namespace

TextTable::TextTable(std::vector<std::string> header) { addRow(std::move(header)); }

void TextTable::addRow(std::vector<std::string> cells) {
  for (auto& c : cells) c = printable(std::move(c));
  rows_.push_back(std::move(cells));
}

void TextTable::write(std::ostream& out) const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    out << line << '\n';
  }
}

}  // namespace appkeeper::daemon
