// The audit log's actions and recording (audit.hpp).
#include "store/audit.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/serialize.hpp>

#include "core/ids.hpp"
#include "core/json_text.hpp"

namespace claudelens::store {

bool is_audit_action(std::string_view action) noexcept {
  return std::find(k_audit_actions.begin(), k_audit_actions.end(), action) != k_audit_actions.end();
}

AuditEvent audit_event(std::string user_id, std::string_view action, std::string target_type, std::string target_id,
                       const boost::json::object& details) {
  AuditEvent e;
  e.user_id = std::move(user_id);
  e.action = std::string(action);
  e.target_type = std::move(target_type);
  e.target_id = std::move(target_id);
  boost::json::value v = details;  // names from clients (an upload's file name) may be any bytes
  e.details = boost::json::serialize(make_valid_utf8(v));
  return e;
}

Result<std::string> cli_audit_user(Reader& reader) {
  CL_TRY(admin, reader.find_user_by_name("admin"));
  return admin ? admin->id : std::string();
}

Status append_audit(Writer& writer, AuditEvent event, TimeMs now) {
  if (!is_audit_action(event.action))
    return fail(Errc::invalid_argument, fmt::format("'{}' is not an audit action", event.action));
  if (event.id.empty()) event.id = new_id();
  if (event.at == 0) event.at = now;
  CL_TRY(added, writer.append_audit(event));
  (void)added;
  return {};
}

Status record_audit(Store& store, AuditEvent event, TimeMs now) {
  const std::string action = event.action, target = event.target_id;
  auto st = [&]() -> Status {
    CL_TRY(writer, store.write());
    CL_CHECK(append_audit(*writer, std::move(event), now));
    return writer->commit();
  }();
  if (!st) spdlog::warn("audit: cannot record {} of {}: {}", action, target, st.error().message);
  return st;
}

Status record_cli_audit(Store& store, std::string_view action, std::string target_type, std::string target_id,
                        const boost::json::object& details, TimeMs now) {
  auto st = [&]() -> Status {
    CL_TRY(writer, store.write());
    CL_TRY(user, cli_audit_user(*writer));
    CL_CHECK(
        append_audit(*writer, audit_event(std::move(user), action, std::move(target_type), target_id, details), now));
    return writer->commit();
  }();
  if (!st) spdlog::warn("audit: cannot record {} of {}: {}", action, target_id, st.error().message);
  return st;
}

}  // namespace claudelens::store
