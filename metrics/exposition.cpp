#include "metrics/exposition.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace appkeeper::metrics {
namespace {

bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool isValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = isAlpha(c) || c == '_' || c == ':' || (i > 0 && isDigit(c));
    if (!ok) return false;
  }
  return true;
}

bool isValidLabelName(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!(isAlpha(c) || c == '_' || (i > 0 && isDigit(c)))) return false;
  }
  return true;
}

void appendValue(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[64];
  std::to_chars_result written;
  // Whole numbers (the common case: counts) print without a fraction or an exponent; 2^53 is
  // where doubles stop holding every integer.
  if (std::trunc(value) == value && std::fabs(value) < 9007199254740992.0) {
    written = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(value));
  } else {
    written = std::to_chars(buf, buf + sizeof buf, value);  // shortest round-trip form
  }
  out.append(buf, written.ptr);
}

void appendEscapedLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void appendEscapedHelp(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void appendHeader(std::string& out, std::string_view name, std::string_view help,
                  std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  appendEscapedHelp(out, help);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void appendSample(std::string& out, std::string_view name, std::string_view suffix,
                  std::span<const std::string> names, std::span<const std::string> values,
                  std::string_view extraName, std::string_view extraValue, double value) {
  out += name;
  out += suffix;
  const bool braces = !names.empty() || !extraName.empty();
  if (braces) out += '{';
  bool first = true;
  auto label = [&](std::string_view n, std::string_view v) {
    if (!first) out += ',';
    first = false;
    out += n;
    out += "=\"";
    appendEscapedLabelValue(out, v);
    out += '"';
  };
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) label(names[i], values[i]);
  if (!extraName.empty()) label(extraName, extraValue);
  if (braces) out += '}';
  out += ' ';
  appendValue(out, value);
  out += '\n';
}

}  // namespace appkeeper::metrics
