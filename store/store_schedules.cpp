// When each periodic task (catalog poll, scheduled reconciliation) last ran, in wall time, so a
// daily period survives restarts instead of restarting with the process.
#include "store/sqlite_error.h"
#include "store/store_impl.h"

namespace appkeeper::store {

Result<std::optional<WallTime>> Store::scheduleLastRun(const std::string& name) {
  return guarded("reading a schedule", [&]() -> Result<std::optional<WallTime>> {
    SQLite::Statement query(*impl_->db, "SELECT last_run FROM schedules WHERE name = ?1");
    query.bind(1, name);
    if (!query.executeStep()) return std::optional<WallTime>();
    return std::optional<WallTime>(fromUnixMillis(query.getColumn(0).getInt64()));
  });
}

Status Store::setScheduleLastRun(const std::string& name, WallTime at) {
  return guarded("saving a schedule", [&]() -> Status {
    if (auto refused = impl_->refuseIfReadOnly("saving a schedule")) return *refused;
    SQLite::Statement put(*impl_->db,
                          "INSERT INTO schedules (name, last_run) VALUES (?1, ?2) "
                          "ON CONFLICT (name) DO UPDATE SET last_run = excluded.last_run");
    put.bind(1, name);
    put.bind(2, toUnixMillis(at));
    put.exec();
    return Ok{};
  });
}

}  // namespace appkeeper::store
