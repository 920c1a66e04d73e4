// The audit log in the HTTP layer: GET /api/v1/audit (admin; routes.hpp add_audit_routes) and the one
// call handlers make after an action succeeded, so that each handler's change is a line or two.
// Thread-safe as the Store is.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "http/message.hpp"
#include "http/services.hpp"

namespace claudelens::http::handlers {

/// Records the caller's `action` in a short transaction of its own (store::record_audit): a failure is
/// logged, never answered (the action happened).
void audit(Services& s, const Request& req, std::string_view action, std::string target_type, std::string target_id,
           const boost::json::object& details);

/// Records it inside the handler's write transaction `w` (it commits with the change); the answer to
/// give when it cannot be recorded.
std::optional<ApiError> audit_in(store::Writer& w, Services& s, const Request& req, std::string_view action,
                                 std::string target_type, std::string target_id, const boost::json::object& details);

}  // namespace claudelens::http::handlers
