#include "handlers/rfc3339.h"

namespace appkeeper::handlers {
namespace {

// Reads exactly `n` digits at `pos`; -1 when they are not all digits.
int digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

bool isLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int daysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeap(y) ? 29 : kDays[m - 1];
}

}  // namespace

bool isRfc3339DateTime(std::string_view s) {
  // full-date "T" partial-time time-offset; fixed positions up to the seconds.
  if (s.size() < 20) return false;
  int year = digits(s, 0, 4), month = digits(s, 5, 2), day = digits(s, 8, 2);
  int hour = digits(s, 11, 2), minute = digits(s, 14, 2), second = digits(s, 17, 2);
  if (year < 0 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
      s[16] != ':') {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
    return false;
  }
  size_t pos = 19;
  if (s[pos] == '.') {
    size_t start = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return false;
  }
  if (pos >= s.size()) return false;
  if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) return true;
  if (s[pos] != '+' && s[pos] != '-') return false;
  int offHour = digits(s, pos + 1, 2), offMinute = digits(s, pos + 4, 2);
  return pos + 6 == s.size() && s[pos + 3] == ':' && offHour >= 0 && offHour <= 23 &&
         offMinute >= 0 && offMinute <= 59;
}

}  // namespace appkeeper::handlers
