// Result<T>: a value or an Error (error.hpp). A small stand-in for C++23 std::expected.
// Accessing value() of an error, or error() of a value, is a bug and aborts via assert/terminate.
#pragma once

#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/error.hpp"

namespace claudelens {

/// Wraps an Error so that `return fail(...)` converts into any Result<T>.
struct Failure {
  Error error;
};

inline Failure fail(Errc code, std::string message) {
  return Failure{Error{code, std::move(message)}};
}
inline Failure fail(Error error) {
  return Failure{std::move(error)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_v(std::in_place_index<0>, std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Failure f) : m_v(std::in_place_index<1>, std::move(f.error)) {}  // NOLINT(google-explicit-constructor)
  template <class U, class = std::enable_if_t<std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, T> &&
                                              !std::is_same_v<std::decay_t<U>, Failure>>>
  Result(U&& value) : m_v(std::in_place_index<0>, T(std::forward<U>(value))) {}  // NOLINT

  bool has_value() const noexcept { return m_v.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & {
    check(true);
    return std::get<0>(m_v);
  }
  const T& value() const& {
    check(true);
    return std::get<0>(m_v);
  }
  T&& value() && {
    check(true);
    return std::get<0>(std::move(m_v));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    check(false);
    return std::get<1>(m_v);
  }
  Error&& error() && {
    check(false);
    return std::get<1>(std::move(m_v));
  }

 private:
  void check(bool want_value) const {
    if (has_value() != want_value) std::abort();
  }
  std::variant<T, Error> m_v;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Failure f) : m_error(std::move(f.error)), m_failed(true) {}  // NOLINT(google-explicit-constructor)

  bool has_value() const noexcept { return !m_failed; }
  explicit operator bool() const noexcept { return !m_failed; }
  void value() const {
    if (m_failed) std::abort();
  }
  const Error& error() const& {
    if (!m_failed) std::abort();
    return m_error;
  }
  Error&& error() && {
    if (!m_failed) std::abort();
    return std::move(m_error);
  }

 private:
  Error m_error;
  bool m_failed = false;
};

using Status = Result<void>;

}  // namespace claudelens

/// Propagates an error: `CL_TRY(r, expr);` declares `r` as the value of `expr` or returns its error.
#define CL_CONCAT_INNER(a, b) a##b
#define CL_CONCAT(a, b) CL_CONCAT_INNER(a, b)
#define CL_TRY(var, expr)                                                                                \
  auto CL_CONCAT(var, _result_) = (expr);                                                                \
  if (!CL_CONCAT(var, _result_)) return ::claudelens::fail(std::move(CL_CONCAT(var, _result_)).error()); \
  auto&& var = std::move(CL_CONCAT(var, _result_)).value()
/// Propagates the error of a Status: `CL_CHECK(expr);`
#define CL_CHECK(expr)                                                                     \
  do {                                                                                     \
    auto cl_check_result_ = (expr);                                                        \
    if (!cl_check_result_) return ::claudelens::fail(std::move(cl_check_result_).error()); \
  } while (0)
