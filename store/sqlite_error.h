// Turns SQLite failures into appkeeper Errors (internal to store/). The one place that knows
// which SQLite result codes are worth retrying: busy/locked/full/IO/can't-open/read-only are
// kTransient, corrupt/not-a-database kPermanent, anything else (constraint, misuse) kInternal.
// `guarded` is the store's exception boundary: every public Store method runs inside it, so no
// SQLiteCpp, nlohmann::json or std exception leaves store/. Stateless and thread-safe.
#pragma once

#include <SQLiteCpp/Exception.h>

#include <exception>
#include <string>
#include <string_view>

#include "common/result.h"

namespace appkeeper::store {

// `what` names the operation ("claiming a job"); the message adds what SQLite said and what to do.
Error fromSqlite(const SQLite::Exception& e, std::string_view what);

// Runs `body` (returning a Result<T>) and converts any exception into an Error.
template <typename F>
auto guarded(std::string_view what, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const SQLite::Exception& e) {
    return fromSqlite(e, what);
  } catch (const std::exception& e) {
    return Error::internal(std::string(what) + " failed: " + e.what());
  } catch (...) {
    return Error::internal(std::string(what) + " failed with an unknown exception");
  }
}

}  // namespace appkeeper::store
