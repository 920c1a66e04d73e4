// JSON views of store records shared by the API and the CLI's --json output. Pure; thread-safe.
#pragma once

#include <boost/json/object.hpp>

#include "store/store.hpp"

namespace claudelens::http {

/// A project as API.md's /projects and `claudelens projects --json` show it.
boost::json::object project_json(const store::Project& p);

}  // namespace claudelens::http
