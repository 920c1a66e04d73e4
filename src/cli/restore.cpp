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
#include "restore/preview.hpp"
#include "restore/restorer.hpp"

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
  o.dry_run = a.dry_run;
  o.allow_delete = a.yes;
  CL_CHECK(restore::validate_options(o));
  return o;
}

/// The admin user's id when it exists ("" otherwise): a restore never creates one just to sign.
Result<std::string> admin_id(store::Store& st) {
  CL_TRY(reader, st.read());
  CL_TRY(admin, reader->find_user_by_name("admin"));
  return admin ? admin->id : std::string();
}

void print_text(const restore::RestoreReport& r) {
  std::cout << fmt::format("{}Restore {} of {} ({} / on conflict {}) in {:.2f}s\n", r.dry_run ? "[dry run] " : "", r.id,
                           r.backup_id.empty() ? r.backup_file : r.backup_id, restore::mode_name(r.mode),
                           restore::strategy_name(r.on_conflict), r.duration_seconds);
  std::cout << fmt::format("  {:<16} {:>10} {:>10} {:>10} {:>10}\n", "collection", "restored", "updated", "skipped",
                           "deleted");
  for (const auto& [name, t] : r.collections)
    std::cout << fmt::format("  {:<16} {:>10} {:>10} {:>10} {:>10}\n", name, t.restored, t.updated, t.skipped,
                             t.deleted);
  std::cout << fmt::format("  conflicts {}, id mappings {}, read {} of {}\n", r.conflicts_count, r.id_mappings.size(),
                           human_bytes(static_cast<std::int64_t>(r.bytes_read)),
                           human_bytes(static_cast<std::int64_t>(r.archive_size)));
  for (const auto& id : r.deleted_projects) std::cout << "  deletes project " << id << "\n";
  for (const auto& id : r.deleted_sessions) std::cout << "  deletes session " << id << "\n";
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
  if (resolved->metadata) {
    options->backup_id = resolved->metadata->id;
    options->expected_sha256 = resolved->metadata->checksum;
  }
  auto admin = admin_id(**st);
  if (!admin) return report(admin.error());
  options->restored_by = *admin;

  ProgressBar bar(ctx.interactive());
  CancelOnSigint cancel_guard;
  options->cancel = cancel_guard.flag();
  options->on_progress = [&](const restore::Progress& p) {
    bar.update(p.operation, p.percentage,
               fmt::format("{}/{} docs  {}", p.documents_done, p.documents_total, human_seconds(p.elapsed_seconds)));
  };
  auto result = restore::run_restore(**st, resolved->file, *options);
  bar.finish();
  if (!result) return report(result.error());
  if (ctx.json)
    std::cout << json::serialize(restore::report_to_json(*result)) << "\n";
  else
    print_text(*result);
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
                "Skip the whole-archive check before writing (frames are still checked)");
  cmd->add_flag("--dry-run", a->dry_run, "Report the exact plan and counts; change nothing");
  cmd->add_flag("--yes", a->yes, "Allow a full restore to delete what the backup lacks");
  cmd->add_flag("--preview", a->preview, "Print the preview (contents, conflicts, estimates) instead of restoring");
  cmd->add_flag("--detailed", a->detailed, "With --preview: list each project's sessions");
  cmd->add_option("--key-file", a->key_file, "Key file of an encrypted backup (default: $CLAUDELENS_KEY_FILE)");
  cmd->callback([&ctx, a] { ctx.action = [&ctx, a] { return run_restore_command(ctx, *a); }; });
}

}  // namespace claudelens::cli
