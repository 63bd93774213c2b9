// RFC 3339 date-time syntax check (section 5.6: "2026-11-29T10:00:00Z",
// "2026-11-29t10:00:00.123+01:00"), with calendar ranges (month lengths, leap years, second 60
// for leap seconds). Only validates: publish events carry the time for the audit, appkeeper never
// schedules on it. Pure, thread-safe.
#pragma once

#include <string_view>

namespace appkeeper::handlers {

bool isRfc3339DateTime(std::string_view s);

}  // namespace appkeeper::handlers
