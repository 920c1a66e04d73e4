// JSON views of store records (store_json.hpp).
#include "http/store_json.hpp"

namespace claudelens::http {

boost::json::object project_json(const store::Project& p) {
  return boost::json::object{{"_id", p.id},
                             {"name", p.name},
                             {"path", p.path},
                             {"owner_id", p.owner_id},
                             {"description", p.description},
                             {"sessions_count", p.sessions_count},
                             {"messages_count", p.messages_count},
                             {"records_count", p.records_count},
                             {"created_at", format_iso8601_ms(p.created_at)},
                             {"updated_at", format_iso8601_ms(p.updated_at)}};
}

}  // namespace claudelens::http
