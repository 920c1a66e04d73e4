// The audit log on top of the Store (API.md GET /audit): the actions it knows and one narrow way to
// record one. Callers are the places that act (HTTP handlers, the job service shared by the CLI, the
// server and schedules); each records the line right after its action succeeded, inside the action's own
// write transaction when it has one (keys, settings: the line commits with the change or not at all),
// else in a short transaction of its own. `details` is a small JSON object of names, sizes and modes,
// never a secret (no key, no passphrase, no setting's value). Thread-safe as the Store is.
#pragma once

#include <boost/json/object.hpp>

#include <array>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/time.hpp"
#include "store/store.hpp"

namespace claudelens::store {

/// Every action the audit log records (GET /audit's `action` filter accepts exactly these).
inline constexpr std::array<std::string_view, 11> k_audit_actions = {
    "backup.created",     ///< a backup job was accepted (API, CLI, schedule); target: the new backup
    "backup.downloaded",  ///< GET /backups/{id}/download (each request, ranges too)
    "backup.deleted",     ///< DELETE /backups/{id} (details.force), retention apply (details.reason)
    "backup.uploaded",    ///< POST /restore/upload registered an archive; target: the new backup
    "restore.started",    ///< a restore job started to run (not dry runs: they change nothing)
    "restore.completed",  ///< a restore job ended well
    "restore.failed",     ///< a restore job failed or was cancelled (details.status, details.error)
    "key.created",        ///< POST /keys; target: the key (details: name, role, the key's user_id)
    "key.revoked",        ///< DELETE /keys/{id}
    "settings.updated",   ///< PUT /settings/backup changed fields (details.updated_fields: names only)
    // POST /settings/backup/notifications/test, `claudelens notify test` (details: channel and field names)
    "notifications.tested",
};
bool is_audit_action(std::string_view action) noexcept;

/// A line to record: `at` and `id` are filled in by append/record when left empty.
AuditEvent audit_event(std::string user_id, std::string_view action, std::string target_type, std::string target_id,
                       const boost::json::object& details = {});

/// The user the CLI's lines name: user "admin" (whom the CLI acts as) when it exists, else "" (a
/// command never creates a user just to sign a line).
Result<std::string> cli_audit_user(Reader& reader);

/// Appends `event` inside the caller's write transaction (it commits with the caller's change).
Status append_audit(Writer& writer, AuditEvent event, TimeMs now);

/// Appends `event` in a short write transaction of its own. A failure is logged as a warning and
/// returned; the action it records has happened already, so callers go on (the answer stands).
Status record_audit(Store& store, AuditEvent event, TimeMs now);

/// record_audit of a CLI command's action, by the CLI's user (cli_audit_user, read in the same short
/// write transaction).
Status record_cli_audit(Store& store, std::string_view action, std::string target_type, std::string target_id,
                        const boost::json::object& details, TimeMs now);

}  // namespace claudelens::store
