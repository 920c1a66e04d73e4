// Small helpers the handler files share: JSON time values, visibility checks and paged store scans.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <boost/json/value.hpp>

#include "core/time.hpp"
#include "http/errors.hpp"
#include "http/json_body.hpp"
#include "http/services.hpp"

namespace claudelens::http::handlers {

/// A handler that needs the shared services, bound to them for Router::add.
using ServiceHandler = Response (*)(Services&, Request&);
inline Handler bind(Services& services, ServiceHandler f) {
  return [&services, f](Request& req) { return f(services, req); };
}

/// An ISO 8601 string with milliseconds, or null.
boost::json::value time_or_null(const std::optional<TimeMs>& t);

/// Collects one page of a scan: call add(item) for every visible item in order; it counts them all and
/// keeps those of the page.
class PageCollector {
 public:
  explicit PageCollector(const Paging& paging) : m_paging(paging) {}
  /// True when the item at the current position belongs to the page (then push it); always counts it.
  bool take() {
    const std::int64_t position = m_total++;
    return position >= m_paging.offset() && position < m_paging.offset() + m_paging.size;
  }
  void push(boost::json::value item) { m_items.push_back(std::move(item)); }
  /// `{items, pagination}`.
  boost::json::object result() const;

 private:
  const Paging& m_paging;
  std::int64_t m_total = 0;
  boost::json::array m_items;
};

/// The 404 answer for a thing the caller may not see or that does not exist (the same, so ids don't leak).
ApiError missing(std::string_view what, const std::string& id);

/// The ApiError of a failed store Status; nullopt when it succeeded.
std::optional<ApiError> store_error(const Status& status);

}  // namespace claudelens::http::handlers
