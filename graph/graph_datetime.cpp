#include "graph/graph_datetime.h"

#include <chrono>
#include <cstdio>

namespace appkeeper::graph {
namespace {

using namespace std::chrono;

// Graph's fraction has seven digits: ticks of 100 ns.
using Ticks = duration<int64_t, std::ratio<1, 10'000'000>>;

bool readDigits(std::string_view& s, size_t n, int& out) {
  if (s.size() < n) return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  s.remove_prefix(n);
  return true;
}

bool expect(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

}  // namespace

std::string formatGraphDateTime(WallTime t) {
  const auto ticks = floor<Ticks>(t);
  const auto day = floor<days>(ticks);
  const year_month_day ymd{day};
  const hh_mm_ss<Ticks> time{ticks - day};
  char buf[48];
  const int n = std::snprintf(
      buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%07lldZ", static_cast<int>(ymd.year()),
      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
      static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
      static_cast<int>(time.seconds().count()), static_cast<long long>(time.subseconds().count()));
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

std::optional<WallTime> parseGraphDateTime(std::string_view s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!(readDigits(s, 4, y) && expect(s, '-') && readDigits(s, 2, mo) && expect(s, '-') &&
        readDigits(s, 2, d) && (expect(s, 'T') || expect(s, 't')) && readDigits(s, 2, h) &&
        expect(s, ':') && readDigits(s, 2, mi) && expect(s, ':') && readDigits(s, 2, sec))) {
    return std::nullopt;
  }
  // 2261: the last year a nanosecond system_clock can hold. 60: a leap second.
  if (y < 1970 || y > 2261 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  Ticks fraction{0};
  if (expect(s, '.')) {
    int64_t ticks = 0;
    size_t digits = 0;
    while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
      if (digits < 7) ticks = ticks * 10 + (s.front() - '0');  // beyond 100 ns: truncated
      ++digits;
      s.remove_prefix(1);
    }
    if (digits == 0 || digits > 30) return std::nullopt;
    for (size_t i = digits; i < 7; ++i) ticks *= 10;
    fraction = Ticks{ticks};
  }
  minutes offset{0};
  if (!(expect(s, 'Z') || expect(s, 'z'))) {
    const bool east = !s.empty() && s.front() == '+';
    if (!(expect(s, '+') || expect(s, '-'))) return std::nullopt;
    int oh = 0, om = 0;
    if (!(readDigits(s, 2, oh) && expect(s, ':') && readDigits(s, 2, om)) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset = minutes(oh * 60 + om);
    if (!east) offset = -offset;
  }
  if (!s.empty()) return std::nullopt;
  const auto local = sys_days{ymd} + hours(h) + minutes(mi) + seconds(sec);
  return time_point_cast<WallTime::duration>(local - offset) +
         duration_cast<WallTime::duration>(fraction);
}

}  // namespace appkeeper::graph
