// Result<T>: a value or an Error whose kind tells the caller what to do with it.
// The one error policy of appkeeper (docs/ARCHITECTURE.md): library exceptions are caught where
// the library is called and turned into an Error here.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace appkeeper {

enum class ErrorKind {
  kInvalidInput,  // the caller sent something wrong: 4xx inbound, usage error on the CLI
  kTransient,     // may succeed later: retry with backoff (network, 429, 5xx, busy store)
  kPermanent,     // will not succeed by retrying: fail the job with the reason
  kInternal,      // a bug or broken invariant: log, answer 500
};

const char* toString(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;
  // Filled when the error came from an HTTP peer (Graph, the token endpoint).
  int httpStatus = 0;
  std::string code;       // Graph error code, e.g. "TooManyRequests", or "invalid_client"
  std::string innerCode;  // Graph innerError.code, e.g. "AccessDenied"
  std::string requestId;  // Graph request-id, for the audit
  std::optional<std::chrono::milliseconds> retryAfter;

  static Error make(ErrorKind kind, std::string msg) {
    Error e;
    e.kind = kind;
    e.message = std::move(msg);
    return e;
  }
  static Error invalidInput(std::string msg) { return make(ErrorKind::kInvalidInput, std::move(msg)); }
  static Error transient(std::string msg) { return make(ErrorKind::kTransient, std::move(msg)); }
  static Error permanent(std::string msg) { return make(ErrorKind::kPermanent, std::move(msg)); }
  static Error internal(std::string msg) { return make(ErrorKind::kInternal, std::move(msg)); }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
// Result<void> equivalent: `return Ok{};` on success.
using Status = Result<Ok>;

}  // namespace appkeeper
