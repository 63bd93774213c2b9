#include "store/sqlite_error.h"

#include <sqlite3.h>

namespace appkeeper::store {

Error fromSqlite(const SQLite::Exception& e, std::string_view what) {
  const std::string prefix = std::string(what) + ": ";
  const std::string said = std::string(" (SQLite: ") + e.what() + ")";
  // SQLiteCpp reports its own misuse (no row, bad column) with code -1.
  switch (e.getErrorCode() & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error::transient(prefix +
                              "the database is locked by another connection or process and "
                              "stayed locked past the busy timeout; retry shortly" +
                              said);
    case SQLITE_FULL:
      return Error::transient(prefix +
                              "the disk holding the database is full; free space, then "
                              "retry" +
                              said);
    case SQLITE_IOERR:
      return Error::transient(prefix + "I/O error on the database file; check the disk and retry" +
                              said);
    case SQLITE_CANTOPEN:
      return Error::transient(prefix +
                              "cannot open the database file; check that its directory exists "
                              "and is writable by this user" +
                              said);
    case SQLITE_READONLY:
      return Error::transient(prefix +
                              "the database file is read-only; check its permissions and those "
                              "of its directory (WAL needs -wal and -shm files beside it)" +
                              said);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Error::permanent(prefix +
                              "the database file is corrupt or not an appkeeper database; restore "
                              "it from a backup or point the store at another path" +
                              said);
    default:
      return Error::internal(prefix + "unexpected database error" + said);
  }
}

}  // namespace appkeeper::store
