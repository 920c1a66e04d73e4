// The route table (routes.hpp).
#include "http/routes.hpp"

namespace claudelens::http {

void register_routes(Router& router, Services& services) {
  add_meta_routes(router, services);
  add_key_routes(router, services);
  add_data_routes(router, services);
  add_document_routes(router, services);
  add_ingest_routes(router, services);
  add_settings_routes(router, services);
  add_notify_routes(router, services);
  add_backup_routes(router, services);
  add_restore_routes(router, services);
  add_progress_routes(router, services);
  add_schedule_routes(router, services);
  add_audit_routes(router, services);
}

}  // namespace claudelens::http
