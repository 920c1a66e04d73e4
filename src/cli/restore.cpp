// `claudelens restore ID_OR_FILE …` (SPEC §3/§7, API.md POST /restore and GET /restore/preview): restores
// a backup (by id or file) into the store with a mode and a conflict strategy, or previews it.
// Exit codes: 0 ok, 1 failure, 2 bad usage, 3 damaged archive (nothing written), 4 a full restore that
// would delete without --yes, or the store is busy.
#include <fmt/format.h>
#include <boost/json.hpp>

#include <atomic>
#include <iostream>

#include "backup/catalog.hpp"
#include "cli/context.hpp"
#include "cli/exit_codes.hpp"
#include "cli/interrupt.hpp"
#include "cli/key_file.hpp"
#include "cli/progress_bar.hpp"
#include "http/errors.hpp"
#include "jobs/jobs.hpp"
#include "notify/notifier.hpp"
#include "restore/preview.hpp"
#include "store/audit.hpp"

namespace claudelens::cli {
namespace {

namespace json = boost::json;

struct RestoreArgs {
  std::string id_or_file;
  std::string mode = "merge";
  std::string on_conflict = "skip";
  std::vector<std::string> projects, sessions, messages, prompts, exclude_projects, exclude_sessions;
  std::string from, to;
  std::string target_project_id, target_project_name;
  std::string suffix = "_restored";
  bool maintain_ids = false;
  bool no_validate = false;
  bool verify_all = false;
  bool dry_run = false;
  bool yes = false;
  bool preview = false;
  bool detailed = false;
  std::string key_file;
};

Result<restore::RestoreOptions> make_options(const RestoreArgs& a) {
  restore::RestoreOptions o;
  const auto mode = restore::parse_mode(a.mode);
  if (!mode)
    return fail(Errc::invalid_argument, fmt::format("--mode must be full, selective or merge, not '{}'", a.mode));
  const auto strategy = restore::parse_strategy(a.on_conflict);
  if (!strategy)
    return fail(Errc::invalid_argument,
                fmt::format("--on-conflict must be skip, overwrite, rename or merge, not '{}'", a.on_conflict));
  o.mode = *mode;
  o.on_conflict = *strategy;
  restore::Selections& s = o.selections;
  s.projects = a.projects;
  s.sessions = a.sessions;
  s.messages = a.messages;
  s.prompts = a.prompts;
  s.exclude_projects = a.exclude_projects;
  s.exclude_sessions = a.exclude_sessions;
  CL_TRY(from, parse_time_flag("--from", a.from));
  CL_TRY(to, parse_time_flag("--to", a.to));
  s.from = from;
  s.to = to;
  o.target_project_id = a.target_project_id;
  o.target_project_name = a.target_project_name;
  o.name_suffix = a.suffix;
  o.maintain_ids = a.maintain_ids;
  o.validate_before_restore = !a.no_validate;
  o.verify_all = a.verify_all;
  o.dry_run = a.dry_run;
  o.allow_delete = a.yes;
  CL_CHECK(restore::validate_options(o));
  return o;
}

/// The admin user's id when it exists ("" otherwise): a restore never creates one just to sign.
Result<std::string> admin_id(store::Store& st) {
  CL_TRY(reader, st.read());
  return store::cli_audit_user(*reader);
}

std::int64_t int_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_number() ? v->to_number<std::int64_t>() : 0;
}
std::string str_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

/// The report of a restore job (report_to_json's form, as the job recorded it), for a person.
void print_text(const json::object& r) {
  const double duration = r.contains("duration_seconds") ? r.at("duration_seconds").to_number<double>() : 0.0;
  const bool dry_run = r.contains("dry_run") && r.at("dry_run").as_bool();
  const std::string backup_id = str_field(r, "backup_id");
  std::cout << fmt::format("{}Restore {} of {} ({} / on conflict {}) in {:.2f}s\n", dry_run ? "[dry run] " : "",
                           str_field(r, "restore_id"), backup_id.empty() ? str_field(r, "backup_file") : backup_id,
                           str_field(r, "mode"), str_field(r, "on_conflict"), duration);
  std::cout << fmt::format("  {:<16} {:>10} {:>10} {:>10} {:>10}\n", "collection", "restored", "updated", "skipped",
                           "deleted");
  if (const auto* c = r.if_contains("collections"); c && c->is_object())
    for (const auto& [name, t] : c->get_object())
      std::cout << fmt::format("  {:<16} {:>10} {:>10} {:>10} {:>10}\n", std::string(name),
                               int_field(t.as_object(), "restored"), int_field(t.as_object(), "updated"),
                               int_field(t.as_object(), "skipped"), int_field(t.as_object(), "deleted"));
  const auto* mappings = r.if_contains("id_mappings");
  std::cout << fmt::format("  conflicts {}, id mappings {}, read {} of {}\n", int_field(r, "conflicts_count"),
                           mappings && mappings->is_object() ? mappings->get_object().size() : 0,
                           human_bytes(int_field(r, "bytes_read")), human_bytes(int_field(r, "archive_size_bytes")));
  for (const char* kind : {"project", "session"})
    if (const auto* ids = r.if_contains(fmt::format("deleted_{}s", kind)); ids && ids->is_array())
      for (const auto& id : ids->get_array())
        std::cout << "  deletes " << kind << " " << std::string(id.as_string()) << "\n";
}

int run_preview(Context& ctx, store::Store& st, const backup::ResolvedBackup& b, const RestoreArgs& a,
                restore::Strategy strategy, const crypto::Secret* key) {
  restore::PreviewOptions po;
  po.detailed = a.detailed;
  po.on_conflict = strategy;
  if (b.metadata) po.backup_id = b.metadata->id;
  po.passphrase = key;
  auto preview = restore::preview_restore(st, b.file, po);
  if (!preview) return report(preview.error());
  std::cout << json::serialize(*preview) << "\n";
  return k_exit_ok;
}

int run_restore_command(Context& ctx, const RestoreArgs& a) {
  auto options = make_options(a);
  if (!options) return report(options.error());
  auto key = load_key_file(a.key_file);
  if (!key) return report(key.error());
  options->passphrase = key->get();
  auto st = ctx.store();
  if (!st) return report(st.error());
  auto resolved = backup::resolve_backup(**st, ctx.settings.backup_dir, a.id_or_file);
  if (!resolved) return report(resolved.error());
  if (a.preview) return run_preview(ctx, **st, *resolved, a, options->on_conflict, key->get());
  jobs::RestoreRequest request;
  if (resolved->metadata)
    request.backup_id = resolved->metadata->id;
  else
    request.file = resolved->file;
  auto admin = admin_id(**st);
  if (!admin) return report(admin.error());
  options->restored_by = *admin;
  request.options = *options;

  // The same job service as the server: the restore is a job other processes see, and a restore
  // running elsewhere (a server's) makes this one a conflict (exit 4) instead of a second writer.
  jobs::ServiceOptions service_options;
  service_options.backup_dir = ctx.settings.backup_dir;
  service_options.bulk_restore = jobs::BulkRestore::when_alone;
  service_options.on_final = notify::outbox_only_hook(**st, http::api_error_code);  // a server delivers it
  auto service = jobs::JobService::open(**st, service_options);
  if (!service) return report(service.error());
  if (auto recovered = (*service)->recover(); !recovered) return report(recovered.error());

  ProgressBar bar(ctx.interactive());
  CancelOnSigint cancel_guard;
  jobs::RunHooks hooks;
  hooks.cancel = cancel_guard.flag();
  hooks.on_progress = [&](const jobs::Job& j) {
    const jobs::JobProgress& p = j.progress;
    bar.update(
        p.current_operation, p.percentage,
        fmt::format("{}/{} docs  {}", p.documents_restored, p.documents_total, human_seconds(p.elapsed_seconds)));
  };
  auto job = (*service)->run_restore_now(request, *admin, hooks);
  bar.finish();
  if (!job) return report(job.error());
  if (job->status != jobs::JobStatus::completed)
    return report(job->error ? Error(job->error->code, job->error->message)
                             : Error(Errc::internal, "the restore job did not complete"));
  boost::system::error_code ec;
  const json::value result = json::parse(job->result_json, ec);
  if (ec || !result.is_object()) return report(Error(Errc::internal, "the restore job recorded no report"));
  if (ctx.json)
    std::cout << json::serialize(result) << "\n";
  else
    print_text(result.as_object());
  return k_exit_ok;
}

}  // namespace

void add_restore_command(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<RestoreArgs>();
  auto* cmd = app.add_subcommand("restore", "Restore a backup (by id or file) into the store, or preview it");
  cmd->add_option("ID_OR_FILE", a->id_or_file, "Backup id or archive file")->required();
  cmd->add_option("--mode", a->mode, "full | selective | merge")->capture_default_str();
  cmd->add_option("--on-conflict", a->on_conflict, "skip | overwrite | rename | merge")->capture_default_str();
  cmd->add_option("--project", a->projects, "Restore this project (archive id, path or name; repeatable)");
  cmd->add_option("--session", a->sessions, "Restore this session (repeatable)");
  cmd->add_option("--message", a->messages, "Restore this message uuid (repeatable)");
  cmd->add_option("--prompt", a->prompts, "Restore this prompt / folder / AI setting id (repeatable)");
  cmd->add_option("--exclude-project", a->exclude_projects, "Leave this project out (repeatable)");
  cmd->add_option("--exclude-session", a->exclude_sessions, "Leave this session out (repeatable)");
  cmd->add_option("--from", a->from, "Entries at or after this ISO 8601 time");
  cmd->add_option("--to", a->to, "Entries before this ISO 8601 time");
  cmd->add_option("--target-project", a->target_project_id, "Put every restored session into this project id");
  cmd->add_option("--target-project-name", a->target_project_name,
                  "Put every restored session into the project of this name (created when missing)");
  cmd->add_option("--suffix", a->suffix, "Suffix for renamed projects and documents")->capture_default_str();
  cmd->add_flag("--maintain-ids", a->maintain_ids, "Keep archived ids; an id taken by another document is an error");
  cmd->add_flag("--no-validate", a->no_validate,
                "Skip the checks before writing (each frame is still checked when read)");
  cmd->add_flag("--verify-all", a->verify_all,
                "Check the whole archive (every frame and its SHA-256) before writing, even for a partial restore")
      ->excludes("--no-validate");
  cmd->add_flag("--dry-run", a->dry_run, "Report the exact plan and counts; change nothing");
  cmd->add_flag("--yes", a->yes, "Allow a full restore to delete what the backup lacks");
  cmd->add_flag("--preview", a->preview, "Print the preview (contents, conflicts, estimates) instead of restoring");
  cmd->add_flag("--detailed", a->detailed, "With --preview: list each project's sessions");
  cmd->add_option("--key-file", a->key_file, "Key file of an encrypted backup (default: $CLAUDELENS_KEY_FILE)");
  cmd->callback([&ctx, a] { ctx.action = [&ctx, a] { return run_restore_command(ctx, *a); }; });
}

}  // namespace claudelens::cli
