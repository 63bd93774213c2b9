#include "emulator/time_format.h"

#include <cstdio>
#include <ctime>

namespace appkeeper::emulator {
namespace {

struct Parts {
  std::tm tm{};
  long millis = 0;
};

Parts split(WallTime t) {
  const auto ms = toUnixMillis(t);
  auto secs = static_cast<std::time_t>(ms / 1000);
  long millis = static_cast<long>(ms % 1000);
  if (millis < 0) {  // before 1970: keep the fraction positive
    millis += 1000;
    --secs;
  }
  Parts p;
  gmtime_r(&secs, &p.tm);
  p.millis = millis;
  return p;
}

std::string format(WallTime t, const char* pattern, bool withMillis) {
  Parts p = split(t);
  char buf[64];
  int n = withMillis ? std::snprintf(buf, sizeof buf, pattern, p.tm.tm_year + 1900, p.tm.tm_mon + 1,
                                     p.tm.tm_mday, p.tm.tm_hour, p.tm.tm_min, p.tm.tm_sec, p.millis)
                     : std::snprintf(buf, sizeof buf, pattern, p.tm.tm_year + 1900, p.tm.tm_mon + 1,
                                     p.tm.tm_mday, p.tm.tm_hour, p.tm.tm_min, p.tm.tm_sec);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

}  // namespace

std::string graphErrorDate(WallTime t) { return format(t, "%04d-%02d-%02dT%02d:%02d:%02d", false); }

std::string odataDateTime(WallTime t) {
  return format(t, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", true);
}

std::string aadTimestamp(WallTime t) { return format(t, "%04d-%02d-%02d %02d:%02d:%02dZ", false); }

std::optional<WallTime> parseOdataDateTime(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, used = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &used) !=
          6 ||
      used != 19) {
    return std::nullopt;
  }
  size_t pos = 19;
  long millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 3; ++i) millis *= 10;
  }
  if (pos + 1 != text.size() || text[pos] != 'Z') return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  std::time_t secs = timegm(&tm);
  return fromUnixMillis(static_cast<int64_t>(secs) * 1000 + millis);
}

}  // namespace appkeeper::emulator
