// The route table: each handler file registers its routes here. register_routes() adds them all;
// the OpenAPI test checks that openapi.json documents exactly these.
#pragma once

#include "http/router.hpp"
#include "http/services.hpp"

namespace claudelens::http {

void add_meta_routes(Router& router, Services& services);      ///< health, openapi.json
void add_key_routes(Router& router, Services& services);       ///< /keys
void add_data_routes(Router& router, Services& services);      ///< projects, sessions, messages
void add_document_routes(Router& router, Services& services);  ///< prompts, ai-settings
void add_ingest_routes(Router& router, Services& services);    ///< /ingest/batch
void add_settings_routes(Router& router, Services& services);  ///< /settings/backup
void add_notify_routes(Router& router, Services& services);    ///< /settings/backup/notifications/test
void add_backup_routes(Router& router, Services& services);    ///< /backups, /backups/jobs, /backups/statistics
void add_restore_routes(Router& router, Services& services);   ///< /restore, /restore/upload, preview, jobs
void add_progress_routes(Router& router, Services& services);  ///< WebSockets /ws/backups/{id}, /ws/restore/{id}
void add_schedule_routes(Router& router, Services& services);  ///< /schedules/next, /backups/retention/plan|apply
void add_audit_routes(Router& router, Services& services);     ///< /audit

/// Every route of the server.
void register_routes(Router& router, Services& services);

}  // namespace claudelens::http
