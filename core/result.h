// Result<T> and Status: expected failures as values.
//
// A function that can fail for reasons the caller must handle (bad input, not found, conflict,
// upstream refusal) returns Result<T> or Status. Exceptions are kept for failures that end the
// whole request or job; they are caught at one boundary (the HTTP session, the job runner).
#pragma once

#include <cassert>
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace pc {

// The kind of an expected failure. api/ maps each to one HTTP status.
enum class ErrorCode {
  kInvalidArgument,     // 400: the input is malformed or breaks a rule
  kUnauthenticated,     // 401: no or bad credentials
  kPermissionDenied,    // 403: authenticated, not allowed
  kNotFound,            // 404
  kConflict,            // 409: already exists, or a concurrent change
  kFailedPrecondition,  // 409/422: the state does not allow it now
  kPayloadTooLarge,     // 413
  kResourceExhausted,   // 429: throttled
  kOutOfRange,          // 400: arithmetic overflow or a value outside its domain
  kUnavailable,         // 503: a dependency is down or busy; retry later
  kInternal,            // 500: a bug or an unexpected failure (keep last: codes::AllErrorCodes)
};

// Short stable name of a code, e.g. "InvalidArgument".
std::string_view ErrorCodeName(ErrorCode code);

// A failure callers tell apart from others of its kind (e.g. "no usage yet" among NotFound):
// a stable name the API returns as `error.code`, and the kind that sets its HTTP status. Each
// is one constant in core/error_codes.h; a caller compares with Error::Is, never the message.
struct DomainCode {
  std::string_view name;
  ErrorCode kind;
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;  // the kind: decides the HTTP status
  std::string message;                    // for a person; free text, never matched on
  // For throttling or a busy dependency: the least time to wait before trying again (0 = no
  // advice). The API sends it as Retry-After.
  std::chrono::milliseconds retry_after{0};
  const DomainCode* domain = nullptr;  // set for failures with a code of their own

  Error() = default;
  Error(ErrorCode c, std::string m) : code(c), message(std::move(m)) {}
  Error(const DomainCode& d, std::string m) : code(d.kind), message(std::move(m)), domain(&d) {}

  // The stable code the API returns: the domain code's name, or else the kind's name.
  std::string_view StableCode() const { return domain ? domain->name : ErrorCodeName(code); }
  bool Is(const DomainCode& d) const { return domain == &d; }
};

// `e` with the advice to retry after `after` (sent as Retry-After).
inline Error RetryAfter(Error e, std::chrono::milliseconds after) {
  e.retry_after = after;
  return e;
}

inline Error InvalidArgument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
inline Error NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
inline Error Conflict(std::string m) { return {ErrorCode::kConflict, std::move(m)}; }
inline Error PermissionDenied(std::string m) {
  return {ErrorCode::kPermissionDenied, std::move(m)};
}
inline Error Unauthenticated(std::string m) { return {ErrorCode::kUnauthenticated, std::move(m)}; }
inline Error FailedPrecondition(std::string m) {
  return {ErrorCode::kFailedPrecondition, std::move(m)};
}
inline Error OutOfRange(std::string m) { return {ErrorCode::kOutOfRange, std::move(m)}; }
inline Error Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
inline Error Internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }

// Either a T or an Error. Accessing the value of a failed result is a programmer error.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

// The result of an operation that returns nothing on success.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  static Status Ok() { return {}; }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace pc

// Returns the error of `expr` (a Status or Result) from the enclosing function.
#define PC_RETURN_IF_ERROR(expr)                     \
  do {                                               \
    auto&& pc_status_ = (expr);                      \
    if (!pc_status_.ok()) return pc_status_.error(); \
  } while (0)

#define PC_CONCAT_INNER_(a, b) a##b
#define PC_CONCAT_(a, b) PC_CONCAT_INNER_(a, b)
// PC_ASSIGN_OR_RETURN(auto x, F()): x = F().value(), or return its error.
#define PC_ASSIGN_OR_RETURN(lhs, expr) \
  PC_ASSIGN_OR_RETURN_IMPL_(PC_CONCAT_(pc_result_, __LINE__), lhs, expr)
#define PC_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.error();              \
  lhs = std::move(tmp).value()
