// Names of the Store's enums, shared by every implementation.
#include "store/store.hpp"

namespace claudelens::store {

std::string_view role_name(Role r) noexcept {
  return r == Role::admin ? "admin" : "user";
}

std::optional<Role> parse_role(std::string_view s) noexcept {
  if (s == "admin") return Role::admin;
  if (s == "user") return Role::user;
  return std::nullopt;
}

std::string_view collection_name(Collection c) noexcept {
  switch (c) {
    case Collection::prompts:
      return "prompts";
    case Collection::prompt_folders:
      return "prompt_folders";
    case Collection::ai_settings:
      return "ai_settings";
  }
  return "";
}

std::optional<Collection> parse_collection(std::string_view s) noexcept {
  for (Collection c : {Collection::prompts, Collection::prompt_folders, Collection::ai_settings})
    if (collection_name(c) == s) return c;
  return std::nullopt;
}

std::string_view system_table_name(SystemTable t) noexcept {
  switch (t) {
    case SystemTable::backups:
      return "backups";
    case SystemTable::jobs:
      return "jobs";
    case SystemTable::restores:
      return "restores";
    case SystemTable::settings:
      return "settings";
    case SystemTable::schedules:
      return "schedules";
  }
  return "";
}

}  // namespace claudelens::store
