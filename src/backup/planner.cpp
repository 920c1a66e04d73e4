#include "backup/planner.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace claudelens::backup {

namespace {

// Estimates, measured on demo data at level 3 on the 2-core reference machine (docs/performance.md).
constexpr double k_assumed_ratio = 3.7;               // uncompressed / compressed (demo data, level 3)
constexpr double k_assumed_bytes_per_second = 250e6;  // uncompressed bytes written per second
constexpr std::int64_t k_envelope_bytes = 64;         // the archive document around each entry

}  // namespace

std::vector<FieldError> validate_request(const BackupRequest& r, TimeMs now) {
  std::vector<FieldError> errors;
  if (auto e = validate_backup_name(r.name)) errors.push_back(*e);
  if (r.description.size() > 500)
    errors.push_back({"description", "must be at most 500 characters", "VALIDATION_FAILED"});
  if (r.compression_level < 1 || r.compression_level > 9)
    errors.push_back(
        {"options.compression_level", fmt::format("must be 1 to 9, not {}", r.compression_level), "VALIDATION_FAILED"});
  if (r.type == BackupType::incremental)
    errors.push_back({"type", "incremental backups are not available yet", "INVALID_BACKUP_TYPE"});
  auto filter_errors = validate_filters(r.filters, r.type, now);
  errors.insert(errors.end(), filter_errors.begin(), filter_errors.end());
  return errors;
}

Result<Plan> make_plan(store::Reader& reader, const BackupRequest& r, TimeMs now) {
  if (auto errors = validate_request(r, now); !errors.empty()) return fail(to_error(errors));
  const Filters& f = r.filters;
  Plan plan;
  plan.include_documents = r.type == BackupType::full;
  plan.sessions.owner_id = r.owner_scope;
  plan.sessions.min_messages = f.min_message_count;
  plan.sessions.max_messages = f.max_message_count;
  plan.sessions.session_ids = f.sessions;

  // Projects: the named ones (by id, path or folder name), then the patterns.
  const bool by_project = !f.projects.empty();
  const bool by_pattern = !f.include_patterns.empty() || !f.exclude_patterns.empty();
  if (by_project || by_pattern) {
    std::vector<bool> named_found(f.projects.size(), false);
    CL_CHECK(reader.for_each_project({.owner_id = r.owner_scope}, [&](const store::Project& p) {
      bool named = !by_project;
      for (std::size_t i = 0; i < f.projects.size(); ++i) {
        if (f.projects[i] == p.id || f.projects[i] == p.path || f.projects[i] == p.name) {
          named = true;
          named_found[i] = true;
        }
      }
      if (named && project_passes_patterns(f, p.path, p.name)) plan.sessions.project_ids.push_back(p.id);
      return true;
    }));
    for (std::size_t i = 0; i < f.projects.size(); ++i)
      if (!named_found[i]) return fail(Errc::not_found, fmt::format("no project matches '{}'", f.projects[i]));
    if (plan.sessions.project_ids.empty()) plan.nothing_selected = true;
  }
  for (const auto& id : f.sessions) {
    CL_TRY(s, reader.get_session(id));
    if (!s || (r.owner_scope && s->owner_id != *r.owner_scope))
      return fail(Errc::not_found, fmt::format("no session '{}'", id));
  }

  if (!plan.nothing_selected) {
    CL_CHECK(reader.for_each_session(plan.sessions, [&](const store::Session& s) {
      if (f.date_range && s.started_at && s.ended_at &&
          (*s.ended_at < f.date_range->start || *s.started_at >= f.date_range->end))
        return true;  // entirely outside the range
      ++plan.session_count;
      plan.entry_count += s.records_count;
      plan.entry_bytes += s.bytes;
      return true;
    }));
  }
  plan.estimated_size_bytes = plan.entry_bytes + plan.entry_count * k_envelope_bytes + plan.session_count * 512;
  if (plan.include_documents) {
    CL_TRY(counts, reader.counts(r.owner_scope));
    plan.estimated_size_bytes += (counts.prompts + counts.prompt_folders + counts.ai_settings) * 1024;
  }
  plan.estimated_compressed_bytes =
      static_cast<std::int64_t>(static_cast<double>(plan.estimated_size_bytes) / k_assumed_ratio) + 4096;
  plan.estimated_duration_seconds =
      std::max(0.1, static_cast<double>(plan.estimated_size_bytes) / k_assumed_bytes_per_second);
  return plan;
}

}  // namespace claudelens::backup
