// Opening the database (pragmas, migrations, read-only checks) and maintenance.
#include "store/store.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <filesystem>
#include <system_error>

#include "store/schema.h"
#include "store/sqlite_error.h"
#include "store/store_impl.h"

namespace appkeeper::store {
namespace {

int busyMillis(const OpenOptions& options) { return static_cast<int>(options.busyTimeout.count()); }

Result<std::unique_ptr<SQLite::Database>> openReadOnly(const std::string& path,
                                                       const OpenOptions& options, int& version) {
  std::error_code ec;
  if (path.empty() || path == ":memory:" || !std::filesystem::exists(path, ec)) {
    return Error::invalidInput("database file '" + path +
                               "' does not exist; start the daemon once (it creates the database) "
                               "or point --db / [store] path at the right file");
  }
  auto db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READONLY, busyMillis(options));
  version = userVersion(*db);
  const int latest = Store::latestSchemaVersion();
  if (version != latest) {
    return Error::permanent(
        "database '" + path + "' has schema version " + std::to_string(version) +
        (version < latest ? ", older than this binary's " + std::to_string(latest) +
                                "; start the daemon (read-write) once to migrate it"
                          : ", newer than this binary's " + std::to_string(latest) +
                                "; use the appkeeper that wrote it"));
  }
  return db;
}

Result<std::unique_ptr<SQLite::Database>> openReadWrite(const std::string& path,
                                                        const OpenOptions& options, int& version) {
  auto db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE,
                                               busyMillis(options));
  db->exec("PRAGMA foreign_keys = ON");
  // WAL lets readers (other threads, the CLI) run beside the one writer; FULL syncs the WAL on
  // every commit, so an accepted (202) event survives a power loss.
  db->exec("PRAGMA journal_mode = WAL");
  db->exec("PRAGMA synchronous = FULL");
  auto migrated = migrate(*db, migrations());
  if (!migrated) return migrated.error();
  version = *migrated;
  return db;
}

}  // namespace

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

int Store::latestSchemaVersion() { return static_cast<int>(migrations().size()); }

Result<std::unique_ptr<Store>> Store::open(const std::string& path, const Clock& clock,
                                           OpenMode mode) {
  OpenOptions options;
  options.mode = mode;
  return open(path, clock, options);
}

Result<std::unique_ptr<Store>> Store::open(const std::string& path, const Clock& clock,
                                           const OpenOptions& options) {
  return guarded("opening the database '" + path + "'", [&]() -> Result<std::unique_ptr<Store>> {
    int version = 0;
    auto db = options.mode == OpenMode::kReadOnly ? openReadOnly(path, options, version)
                                                  : openReadWrite(path, options, version);
    if (!db) return db.error();
    return std::unique_ptr<Store>(
        new Store(std::make_unique<Impl>(std::move(db).value(), clock, options, version)));
  });
}

int Store::schemaVersion() const { return impl_->schemaVersion; }

Result<std::string> Store::integrityCheck() {
  return guarded("checking database integrity", [&]() -> Result<std::string> {
    SQLite::Statement check(*impl_->db, "PRAGMA integrity_check");
    std::string report;
    while (check.executeStep()) {
      if (!report.empty()) report += '\n';
      report += check.getColumn(0).getString();
    }
    return report;
  });
}

std::optional<Error> Store::Impl::refuseIfReadOnly(std::string_view what) const {
  if (options.mode != OpenMode::kReadOnly) return std::nullopt;
  return Error::internal(std::string(what) +
                         ": this Store was opened read-only; open a read-write Store to write");
}

}  // namespace appkeeper::store
