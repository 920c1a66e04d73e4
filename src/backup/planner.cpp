#include "backup/planner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

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
  auto filter_errors = validate_filters(r.filters, r.type, now);
  errors.insert(errors.end(), filter_errors.begin(), filter_errors.end());
  return errors;
}

namespace {

std::string filters_key(const Filters& f) {
  return boost::json::serialize(filters_to_json(f));
}

Failure bad_parent(std::string message) {
  return fail(to_error({{"options.parent_backup_id", std::move(message), "VALIDATION_FAILED"}}));
}

}  // namespace

Result<BackupMetadata> choose_parent(store::Reader& reader, const BackupRequest& r) {
  const bool inherit = r.filters.empty();  // an incremental without filters takes its parent's
  if (r.parent_backup_id) {
    const std::string& id = *r.parent_backup_id;
    CL_TRY(found, load_metadata(reader, id));
    if (!found || (r.owner_scope && found->owner_scope != r.owner_scope))
      return fail(Errc::not_found, fmt::format("no backup with id '{}'", id));
    const BackupMetadata& p = *found;
    if (p.status != BackupStatus::completed)
      return bad_parent(
          fmt::format("parent backup {} is {}, not completed: an incremental builds on a completed "
                      "backup",
                      id, backup_status_name(p.status)));
    if (!p.change_seq)
      return bad_parent(
          fmt::format("parent backup {} has no change sequence (an uploaded backup, or one taken "
                      "before change tracking): take a full or selective backup to build on",
                      id));
    if (p.owner_scope != r.owner_scope)
      return bad_parent(fmt::format("parent backup {} covers {}, this backup {}", id,
                                    p.owner_scope ? "one user's data" : "every user's data",
                                    r.owner_scope ? "one user's" : "every user's"));
    if (!inherit && filters_key(p.filters) != filters_key(r.filters))
      return bad_parent(
          fmt::format("parent backup {} has other filters: an incremental backup keeps its parent's "
                      "scope (give no filters to take them from the parent)",
                      id));
    return p;
  }
  std::optional<BackupMetadata> newest;
  const std::string wanted = filters_key(r.filters);
  CL_CHECK(for_each_metadata(reader, [&](const BackupMetadata& m) {
    if (m.status == BackupStatus::completed && m.change_seq && m.owner_scope == r.owner_scope &&
        filters_key(m.filters) == wanted && (!newest || m.created_at >= newest->created_at))
      newest = m;
    return true;
  }));
  if (!newest)
    return bad_parent(
        fmt::format("no completed backup with {} to build on: take a {} backup first, or name a "
                    "parent",
                    inherit ? "no filters" : "these filters", inherit ? "full" : "selective"));
  return *newest;
}

Result<Plan> make_plan(store::Reader& reader, const BackupRequest& request, TimeMs now) {
  if (auto errors = validate_request(request, now); !errors.empty()) return fail(to_error(errors));
  Plan plan;
  BackupRequest scoped;  // an incremental's request with its parent's filters
  if (request.type == BackupType::incremental) {
    CL_TRY(parent, choose_parent(reader, request));
    scoped = request;
    scoped.filters = parent.filters;
    plan.parent = std::move(parent);
  }
  const BackupRequest& r = plan.parent ? scoped : request;
  const Filters& f = r.filters;
  plan.filters = f;
  plan.include_documents = r.type == BackupType::full || (plan.parent && f.empty());
  if (plan.parent) plan.sessions.changed_after = plan.parent->change_seq;
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
