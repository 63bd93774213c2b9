#include "daemon/time_text.h"

#include <chrono>
#include <cstdio>

namespace appkeeper::daemon {
namespace {

using namespace std::chrono;

// Reads exactly `n` digits at `pos`.
std::optional<int> digits(std::string_view s, size_t& pos, size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  pos += n;
  return v;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::string formatRfc3339(WallTime t) {
  const auto ms = time_point_cast<milliseconds>(t);
  const auto day = floor<days>(ms);
  const year_month_day ymd(day);
  const hh_mm_ss hms(ms - day);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buf;
}

std::string formatSeconds(milliseconds d) {
  const auto tenths = d.count() / 100;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " s";
}

std::string formatHours(milliseconds d) {
  return std::to_string(duration_cast<hours>(d).count()) + " h";
}

std::optional<WallTime> parseRfc3339(std::string_view s) {
  size_t pos = 0;
  auto y = digits(s, pos, 4);
  if (!y || !expect(s, pos, '-')) return std::nullopt;
  auto mo = digits(s, pos, 2);
  if (!mo || !expect(s, pos, '-')) return std::nullopt;
  auto d = digits(s, pos, 2);
  if (!d) return std::nullopt;
  const year_month_day ymd{year(*y), month(static_cast<unsigned>(*mo)),
                           day(static_cast<unsigned>(*d))};
  if (!ymd.ok()) return std::nullopt;
  sys_time<milliseconds> t = sys_days(ymd);
  if (pos == s.size()) return t;  // a bare date

  if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
  ++pos;
  auto h = digits(s, pos, 2);
  if (!h || !expect(s, pos, ':')) return std::nullopt;
  auto mi = digits(s, pos, 2);
  if (!mi || !expect(s, pos, ':')) return std::nullopt;
  auto sec = digits(s, pos, 2);
  if (!sec || *h > 23 || *mi > 59 || *sec > 60) return std::nullopt;
  t += hours(*h) + minutes(*mi) + std::chrono::seconds(*sec);
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int scale = 100;
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      t += milliseconds((s[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;  // RFC 3339 requires the offset
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    const int sign = s[pos] == '+' ? 1 : -1;
    ++pos;
    auto oh = digits(s, pos, 2);
    if (!oh || !expect(s, pos, ':')) return std::nullopt;
    auto om = digits(s, pos, 2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    t -= sign * (hours(*oh) + minutes(*om));  // local = UTC + offset
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  return time_point_cast<WallTime::duration>(t);
}

Result<WallTime> parseSince(std::string_view text, WallTime now) {
  if (auto t = parseRfc3339(text)) return *t;
  if (text.size() >= 2 && text.size() <= 12) {
    int64_t n = 0;
    bool numeric = true;
    for (char c : text.substr(0, text.size() - 1)) {
      if (c < '0' || c > '9') {
        numeric = false;
        break;
      }
      n = n * 10 + (c - '0');
    }
    if (numeric) {
      switch (text.back()) {
        case 's':
          return now - std::chrono::seconds(n);
        case 'm':
          return now - minutes(n);
        case 'h':
          return now - hours(n);
        case 'd':
          return now - days(n);
        case 'w':
          return now - weeks(n);
        default:
          break;
      }
    }
  }
  return Error::invalidInput("--since \"" + std::string(text) +
                             "\": give an age such as 30m, 1h, 2d (units s, m, h, d, w) or an "
                             "RFC 3339 time such as 2026-11-29T10:00:00Z");
}

}  // namespace appkeeper::daemon
