#include "graph/retry_after.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace appkeeper::graph {
namespace {

using std::chrono::milliseconds;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool allDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Reads exactly `width` digits.
bool readNumber(std::string_view& s, size_t width, int& out) {
  if (s.size() < width) return false;
  std::string_view digits = s.substr(0, width);
  if (!allDigits(digits)) return false;
  out = 0;
  for (char c : digits) out = out * 10 + (c - '0');
  s.remove_prefix(width);
  return true;
}

bool expect(std::string_view& s, std::string_view literal) {
  if (s.substr(0, literal.size()) != literal) return false;
  s.remove_prefix(literal.size());
  return true;
}

constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> kDays{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> kLongDays{"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                    "Friday", "Saturday", "Sunday"};

bool readMonth(std::string_view& s, int& month) {
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (expect(s, kMonths[i])) {
      month = static_cast<int>(i) + 1;
      return true;
    }
  }
  return false;
}

template <size_t N>
bool readName(std::string_view& s, const std::array<std::string_view, N>& names) {
  for (auto name : names) {
    if (expect(s, name)) return true;
  }
  return false;
}

// "08:49:37"
bool readTime(std::string_view& s, int& h, int& m, int& sec) {
  return readNumber(s, 2, h) && expect(s, ":") && readNumber(s, 2, m) && expect(s, ":") &&
         readNumber(s, 2, sec) && h < 24 && m < 60 && sec < 61;  // 60: leap second
}

// Seconds precision: years up to 9999 fit, where the clock's nanoseconds would overflow.
std::optional<std::chrono::sys_seconds> makeTime(int year, int month, int day, int h, int m,
                                                 int sec) {
  std::chrono::year_month_day ymd{std::chrono::year{year},
                                  std::chrono::month{static_cast<unsigned>(month)},
                                  std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days{ymd} + std::chrono::hours(h) + std::chrono::minutes(m) +
         std::chrono::seconds(sec);
}

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<std::chrono::sys_seconds> imfFixdate(std::string_view s) {
  int day = 0, month = 0, year = 0, h = 0, m = 0, sec = 0;
  if (readName(s, kDays) && expect(s, ", ") && readNumber(s, 2, day) && expect(s, " ") &&
      readMonth(s, month) && expect(s, " ") && readNumber(s, 4, year) && expect(s, " ") &&
      readTime(s, h, m, sec) && expect(s, " GMT") && s.empty()) {
    return makeTime(year, month, day, h, m, sec);
  }
  return std::nullopt;
}

// RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
std::optional<std::chrono::sys_seconds> rfc850(std::string_view s, WallTime now) {
  int day = 0, month = 0, yy = 0, h = 0, m = 0, sec = 0;
  if (!(readName(s, kLongDays) && expect(s, ", ") && readNumber(s, 2, day) && expect(s, "-") &&
        readMonth(s, month) && expect(s, "-") && readNumber(s, 2, yy) && expect(s, " ") &&
        readTime(s, h, m, sec) && expect(s, " GMT") && s.empty())) {
    return std::nullopt;
  }
  int nowYear = static_cast<int>(
      std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(now)}.year());
  int year = nowYear - nowYear % 100 + yy;
  if (year > nowYear + 50) year -= 100;  // RFC 9110 §5.6.7
  return makeTime(year, month, day, h, m, sec);
}

// asctime: "Sun Nov  6 08:49:37 1994"
std::optional<std::chrono::sys_seconds> asctimeDate(std::string_view s) {
  int day = 0, month = 0, year = 0, h = 0, m = 0, sec = 0;
  if (!(readName(s, kDays) && expect(s, " ") && readMonth(s, month) && expect(s, " "))) {
    return std::nullopt;
  }
  if (!s.empty() && s.front() == ' ') {
    s.remove_prefix(1);
    if (!readNumber(s, 1, day)) return std::nullopt;
  } else if (!readNumber(s, 2, day)) {
    return std::nullopt;
  }
  if (expect(s, " ") && readTime(s, h, m, sec) && expect(s, " ") && readNumber(s, 4, year) &&
      s.empty()) {
    return makeTime(year, month, day, h, m, sec);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::chrono::sys_seconds> parseHttpDate(std::string_view value, WallTime now) {
  std::string_view s = trim(value);
  if (auto t = imfFixdate(s)) return t;
  if (auto t = rfc850(s, now)) return t;
  return asctimeDate(s);
}

std::optional<milliseconds> parseRetryAfter(std::string_view value, WallTime now,
                                            milliseconds cap) {
  if (cap < milliseconds::zero()) cap = milliseconds::zero();
  std::string_view s = trim(value);
  if (s.empty()) return std::nullopt;
  if (allDigits(s)) {
    // More than 9 significant digits (~31 years) is clamped before any arithmetic can overflow.
    std::string_view significant = s.substr(std::min(s.find_first_not_of('0'), s.size()));
    if (significant.size() > 9) return cap;
    int64_t seconds = 0;
    for (char c : significant) seconds = seconds * 10 + (c - '0');
    return std::min(milliseconds(seconds * 1000), cap);
  }
  auto when = parseHttpDate(s, now);
  if (!when) return std::nullopt;
  auto wait = std::chrono::time_point_cast<milliseconds>(*when) -
              std::chrono::time_point_cast<milliseconds>(now);
  return std::clamp(wait, milliseconds::zero(), cap);
}

}  // namespace appkeeper::graph
