// Helpers shared by the handler files (common.hpp).
#include "http/handlers/common.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

namespace claudelens::http::handlers {

namespace json = boost::json;

json::value time_or_null(const std::optional<TimeMs>& t) {
  return t ? json::value(format_iso8601_ms(*t)) : json::value(nullptr);
}

json::object PageCollector::result() const {
  return json::object{{"items", m_items}, {"pagination", pagination_json(m_total, m_paging)}};
}

ApiError missing(std::string_view what, const std::string& id) {
  return not_found("NOT_FOUND", fmt::format("no {} with id '{}'", what, id));
}

std::optional<ApiError> store_error(const Status& status) {
  if (status) return std::nullopt;
  return api_error(status.error());
}

}  // namespace claudelens::http::handlers
