// `claudelens backup create|list|show|verify|delete|download` (SPEC §3, the same operations as API.md's
// /backups). Exit codes: 0 ok, 1 failure, 2 bad usage, 3 damaged backup, 4 conflict/busy.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/json.hpp>

#include <filesystem>
#include <iostream>

#include "backup/catalog.hpp"
#include "backup/runner.hpp"
#include "cli/context.hpp"
#include "cli/exit_codes.hpp"
#include "cli/interrupt.hpp"
#include "cli/key_file.hpp"
#include "cli/progress_bar.hpp"
#include "core/time.hpp"
#include "http/errors.hpp"
#include "jobs/jobs.hpp"
#include "notify/notifier.hpp"
#include "schedule/quota.hpp"
#include "store/audit.hpp"

namespace claudelens::cli {
namespace {

namespace json = boost::json;

struct CreateArgs {
  std::string name, description, type;
  FilterFlags filters;
  int level = 3;
  bool encrypt = false;
  std::string key_file;
  std::string parent;
};

Result<backup::BackupRequest> make_request(Context& ctx, const CreateArgs& a) {
  backup::BackupRequest r;
  r.name = a.name;
  r.description = a.description;
  r.compression_level = a.level;
  CL_TRY(filters, filters_from_flags(a.filters, system_clock().now_ms()));
  r.filters = std::move(filters);
  const backup::Filters& f = r.filters;
  if (a.type.empty()) {
    r.type = f.empty() ? backup::BackupType::full : backup::BackupType::selective;
  } else {
    const auto t = backup::parse_backup_type(a.type);
    if (!t)
      return fail(Errc::invalid_argument,
                  fmt::format("--type must be full, selective or incremental, not '{}'", a.type));
    r.type = *t;
  }
  if (!a.parent.empty()) {
    if (r.type != backup::BackupType::incremental)
      return fail(Errc::invalid_argument, "--parent is for --type incremental only");
    r.parent_backup_id = a.parent;
  }
  CL_TRY(owner, ctx.resolve_owner(""));
  r.created_by = owner;
  return r;
}

void print_metadata_line(const backup::BackupMetadata& m) {
  std::cout << fmt::format("{:<24}  {:<20.20}  {:<9}  {:<9}  {:>10}  {:>8}  {}\n", m.id, m.name,
                           backup::backup_type_name(m.type), backup::backup_status_name(m.status),
                           human_bytes(m.compressed_size_bytes), m.contents.sessions_count,
                           format_iso8601(m.created_at));
}

/// The job service the server uses too, so that this backup is a job other processes see.
Result<std::unique_ptr<jobs::JobService>> open_jobs(Context& ctx, store::Store& st) {
  jobs::ServiceOptions options;
  options.backup_dir = ctx.settings.backup_dir;
  options.admit_backup = schedule::quota_admission(st, ctx.settings.backup_dir);  // the storage quota
  options.on_final = notify::outbox_only_hook(st, http::api_error_code);          // a server delivers it
  CL_TRY(service, jobs::JobService::open(st, options));
  CL_TRY(recovered, service->recover());  // jobs and partial files left by processes that died
  (void)recovered;
  return std::move(service);
}

/// The backup a finished job made (as recorded in the store), or the job's error.
Result<backup::BackupMetadata> job_outcome(store::Store& st, const jobs::Job& job) {
  if (job.status != jobs::JobStatus::completed)
    return fail(job.error ? job.error->code : Errc::internal,
                job.error ? job.error->message : std::string("the backup job did not complete"));
  CL_TRY(reader, st.read());
  CL_TRY(meta, backup::load_metadata(*reader, job.backup_id));
  if (!meta) return fail(Errc::internal, fmt::format("backup {} completed but has no record", job.backup_id));
  return std::move(*meta);
}

int create(Context& ctx, const CreateArgs& args) {
  auto st = ctx.store();
  if (!st) return report(st.error());
  auto request = make_request(ctx, args);
  if (!request) return report(request.error());
  if (!args.encrypt && !args.key_file.empty())
    return report(Error(Errc::invalid_argument, "--key-file without --encrypt: add --encrypt to encrypt the backup"));
  auto key = args.encrypt ? load_key_file(args.key_file) : Result<std::unique_ptr<crypto::Secret>>(nullptr);
  if (!key) return report(key.error());
  if (args.encrypt && !*key)
    return report(Error(Errc::invalid_argument, "--encrypt needs a key file: --key-file F or CLAUDELENS_KEY_FILE"));
  auto service = open_jobs(ctx, **st);
  if (!service) return report(service.error());
  ProgressBar bar(ctx.interactive());
  CancelOnSigint cancel_guard;
  jobs::RunHooks hooks;
  hooks.cancel = cancel_guard.flag();
  hooks.passphrase = key->get();  // null: not encrypted
  hooks.on_progress = [&](const jobs::Job& j) {
    const jobs::JobProgress& p = j.progress;
    bar.update(p.current_operation, p.percentage,
               fmt::format("{} docs  → {}  ETA {}", p.documents_processed, human_bytes(p.bytes_written),
                           human_seconds(p.estimated_remaining_seconds)));
  };
  auto job = (*service)->run_backup_now(*request, hooks);
  auto meta = job ? job_outcome(**st, *job) : Result<backup::BackupMetadata>(fail(job.error()));
  bar.finish();
  if (!meta) return report(meta.error());
  if (ctx.json) {
    print_json(backup::metadata_to_json(*meta));
  } else {
    const auto& c = meta->contents;
    std::cout << fmt::format(
        "Backup {} ({}) completed in {:.2f}s\n  file     {}\n  contents {} projects, {} sessions, {} messages, {} "
        "records without uuid, {} prompts, {} ai settings\n  size     {} → {} (ratio {:.2f})\n  sha256   {}\n",
        meta->id, backup::backup_type_name(meta->type), meta->duration_seconds,
        (std::filesystem::path(ctx.settings.backup_dir) / meta->filepath).string(), c.projects_count, c.sessions_count,
        c.messages_count, c.records_count, c.prompts_count, c.ai_settings_count, human_bytes(meta->size_bytes),
        human_bytes(meta->compressed_size_bytes),
        meta->compressed_size_bytes ? static_cast<double>(meta->size_bytes) / meta->compressed_size_bytes : 0.0,
        meta->checksum);
  }
  return k_exit_ok;
}

int list(Context& ctx) {
  auto st = ctx.store();
  if (!st) return report(st.error());
  auto reader = (*st)->read();
  if (!reader) return report(reader.error());
  std::vector<backup::BackupMetadata> all;
  if (auto s = backup::for_each_metadata(**reader,
                                         [&](const backup::BackupMetadata& m) {
                                           all.push_back(m);
                                           return true;
                                         });
      !s)
    return report(s.error());
  std::reverse(all.begin(), all.end());  // newest first
  if (ctx.json) {
    json::array out;
    for (const auto& m : all) out.push_back(backup::metadata_to_json(m));
    print_json(out);
    return k_exit_ok;
  }
  std::cout << fmt::format("{:<24}  {:<20}  {:<9}  {:<9}  {:>10}  {:>8}  {}\n", "ID", "NAME", "TYPE", "STATUS", "SIZE",
                           "SESSIONS", "CREATED");
  for (const auto& m : all) print_metadata_line(m);
  return k_exit_ok;
}

int show(Context& ctx, const std::string& id) {
  auto st = ctx.store();
  if (!st) return report(st.error());
  auto reader = (*st)->read();
  if (!reader) return report(reader.error());
  auto meta = backup::load_metadata(**reader, id);
  if (!meta) return report(meta.error());
  if (!*meta) return report(Error(Errc::not_found, fmt::format("no backup with id '{}'", id)));
  const backup::BackupMetadata& m = **meta;
  const std::string location = (std::filesystem::path(ctx.settings.backup_dir) / m.filepath).string();
  if (ctx.json) {
    json::object o = backup::metadata_to_json(m);
    o["storage_location"] = location;
    print_json(o);
    return k_exit_ok;
  }
  const auto& c = m.contents;
  std::cout << fmt::format(
      "id          {}\nname        {}\ntype        {}\nstatus      {}{}\ncreated     {} by {}\nfile        {}\n"
      "size        {} → {} (level {})\nsha256      {}\ncontents    {} projects, {} sessions, {} messages, {} records "
      "without uuid, {} prompts, {} prompt folders, {} ai settings\n",
      m.id, m.name, backup::backup_type_name(m.type), backup::backup_status_name(m.status),
      m.error_message.empty() ? "" : " (" + m.error_message + ")", format_iso8601(m.created_at), m.created_by, location,
      human_bytes(m.size_bytes), human_bytes(m.compressed_size_bytes), m.compression_level, m.checksum,
      c.projects_count, c.sessions_count, c.messages_count, c.records_count, c.prompts_count, c.prompt_folders_count,
      c.ai_settings_count);
  if (c.earliest && c.latest)
    std::cout << fmt::format("time range  {} … {}\n", format_iso8601_ms(*c.earliest), format_iso8601_ms(*c.latest));
  if (m.validation)
    std::cout << fmt::format("verified    {} at {}\n", m.validation->is_valid ? "ok" : "DAMAGED",
                             format_iso8601(m.validation->validated_at));
  return k_exit_ok;
}

int verify(Context& ctx, const std::string& id_or_file, const std::string& key_file) {
  auto key = load_key_file(key_file);
  if (!key) return report(key.error());
  auto st = ctx.store();
  if (!st) return report(st.error());
  auto resolved = backup::resolve_backup(**st, ctx.settings.backup_dir, id_or_file);
  if (!resolved) return report(resolved.error());
  ProgressBar bar(ctx.interactive());
  // An incremental backup: its chain links first (parent present, the named checksum, and so on).
  auto chain = backup::verify_chain_links(**st, ctx.settings.backup_dir, resolved->file);
  auto outcome = backup::verify_backup(
      **st, *resolved, system_clock().now_ms(),
      [&](std::uint64_t done, std::uint64_t total) {
        bar.update("verifying", total ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0,
                   human_bytes(static_cast<std::int64_t>(done)));
        return true;
      },
      key->get());
  bar.finish();
  if (ctx.json) {
    json::object o{{"file", resolved->file.string()}, {"valid", outcome.has_value()}};
    o["backup_id"] = resolved->metadata ? json::value(resolved->metadata->id) : json::value(nullptr);
    o["chain"] = chain ? json::value(json::array(chain->begin(), chain->end())) : json::value(nullptr);
    o["chain_valid"] = chain.has_value();
    if (outcome) {
      o["sha256"] = outcome->report.sha256_hex;
      o["size_bytes"] = outcome->report.file_size;
      o["frames"] = outcome->report.frames;
      o["sections"] = outcome->report.sections;
      o["documents"] = outcome->report.documents;
      o["encrypted"] = outcome->report.encrypted;
      o["authenticated"] = outcome->report.authenticated;
      o["errors"] = json::array();
    } else {
      o["errors"] = json::array{json::value(outcome.error().message)};
    }
    if (!chain) o["errors"].as_array().emplace_back(chain.error().message);
    if (!chain || !outcome) o["valid"] = false;
    print_json(o);
  }
  if (!outcome) return report(outcome.error());
  if (!chain)
    return report(
        Error(chain.error().code == Errc::not_found ? Errc::corrupted : chain.error().code,
              fmt::format("{}: broken incremental chain: {}", resolved->file.string(), chain.error().message)));
  if (!ctx.json && !outcome->report.authenticated)
    std::cout << fmt::format(
        "OK {}: encrypted, checked without its key: structure, {} frames and sha256 {} (give --key-file to "
        "authenticate every chunk)\n",
        resolved->file.string(), outcome->report.frames, outcome->report.sha256_hex);
  else if (!ctx.json)
    std::cout << fmt::format("OK {}: {} frames, {} documents{}, sha256 {}\n", resolved->file.string(),
                             outcome->report.frames, outcome->report.documents,
                             outcome->report.encrypted ? ", every chunk authenticated" : "",
                             outcome->report.sha256_hex);
  if (!ctx.json && chain->size() > 1) std::cout << fmt::format("chain OK: {}\n", fmt::join(*chain, " <- "));
  return k_exit_ok;
}

int remove(Context& ctx, const std::string& id, bool force) {
  auto st = ctx.store();
  if (!st) return report(st.error());
  auto dependents = [&]() -> Result<std::vector<backup::BackupMetadata>> {
    CL_TRY(reader, (*st)->read());
    return backup::dependents_of(*reader, id);
  }();
  if (!dependents) return report(dependents.error());
  std::vector<std::string> ids;
  for (const auto& m : *dependents) ids.push_back(m.id);
  if (!ids.empty() && !force)
    return report(Error(Errc::conflict, fmt::format("backup {} is the parent of incremental backups that need it: {}; "
                                                    "delete them first, or use --force to delete them with it",
                                                    id, fmt::join(ids, ", "))));
  // Said first, so that an interrupted delete still told what it was doing.
  if (!ids.empty())
    std::cerr << fmt::format("Deleting backup {} and the {} incremental backups that depend on it: {}\n", id,
                             ids.size(), fmt::join(ids, ", "));
  std::int64_t freed = 0;
  int files = 0;
  for (const auto& dependent : ids) {
    auto gone = backup::delete_backup(**st, ctx.settings.backup_dir, dependent, system_clock().now_ms());
    if (!gone) return report(gone.error());
    freed += gone->freed_bytes;
    files += gone->files_deleted;
  }
  auto out = backup::delete_backup(**st, ctx.settings.backup_dir, id, system_clock().now_ms());
  if (!out) return report(out.error());
  freed += out->freed_bytes;
  files += out->files_deleted;
  (void)store::record_cli_audit(**st, "backup.deleted", "backup", out->backup_id,
                                {{"force", force},
                                 {"dependents_deleted", json::array(ids.begin(), ids.end())},
                                 {"freed_bytes", out->freed_bytes}},
                                out->deleted_at);
  if (ctx.json) {
    print_json(json::object{{"message", ids.empty() ? std::string("backup deleted")
                                                    : fmt::format("backup deleted with {} dependents", ids.size())},
                            {"backup_id", out->backup_id},
                            {"dependents_deleted", json::array(ids.begin(), ids.end())},
                            {"deleted_at", format_iso8601(out->deleted_at)},
                            {"freed_bytes", freed},
                            {"files_deleted", files}});
  } else {
    std::cout << fmt::format("Deleted backup {} ({} freed)\n", out->backup_id, human_bytes(freed));
  }
  return k_exit_ok;
}

int download(Context& ctx, const std::string& id, const std::string& output) {
  auto st = ctx.store();
  if (!st) return report(st.error());
  auto resolved = backup::resolve_backup(**st, ctx.settings.backup_dir, id);
  if (!resolved) return report(resolved.error());
  if (!resolved->metadata) return report(Error(Errc::not_found, fmt::format("no backup with id '{}'", id)));
  const std::filesystem::path target =
      output.empty() ? std::filesystem::path(fmt::format("backup-{}.claudelens", resolved->metadata->id))
                     : std::filesystem::path(output);
  std::error_code ec;
  if (std::filesystem::exists(target, ec))
    return report(Error(Errc::already_exists, fmt::format("{} exists already", target.string())));
  std::filesystem::copy_file(resolved->file, target, ec);
  if (ec) return report(Error(Errc::io, fmt::format("cannot copy to {}: {}", target.string(), ec.message())));
  auto check = format::verify_archive(target);
  if (!check || check->sha256_hex != resolved->metadata->checksum) {
    std::filesystem::remove(target, ec);
    return report(
        Error(Errc::corrupted, fmt::format("the copy at {} does not match the recorded checksum", target.string())));
  }
  if (ctx.json) {
    print_json(
        json::object{{"file", target.string()}, {"checksum", check->sha256_hex}, {"size_bytes", check->file_size}});
  } else {
    std::cout << fmt::format("{} ({}, sha256 {})\n", target.string(),
                             human_bytes(static_cast<std::int64_t>(check->file_size)), check->sha256_hex);
  }
  return k_exit_ok;
}

}  // namespace

void add_backup_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("backup", "Create, list, inspect, verify and delete backups");
  cmd->require_subcommand(1);

  auto a = std::make_shared<CreateArgs>();
  auto* create_cmd = cmd->add_subcommand("create", "Write a new backup into the backup directory");
  create_cmd->add_option("--name", a->name, "3–100 letters, digits, spaces, '-' or '_'")->required();
  create_cmd->add_option("--description", a->description, "Up to 500 characters");
  create_cmd->add_option("--type", a->type,
                         "full | selective | incremental (default: selective when a filter is given, else full)");
  create_cmd->add_option("--parent", a->parent,
                         "Incremental: the backup to build on (default: the newest completed backup with the same "
                         "filters)");
  add_filter_flags(*create_cmd, a->filters);
  create_cmd->add_option("--level", a->level, "Compression level 1–9")->capture_default_str();
  create_cmd->add_flag("--encrypt", a->encrypt, "Encrypt the archive (AES-256-GCM; needs --key-file)");
  create_cmd->add_option("--key-file", a->key_file,
                         "Passphrase file for --encrypt (default: $CLAUDELENS_KEY_FILE; one trailing newline ignored)");
  create_cmd->callback([&ctx, a] { ctx.action = [&ctx, a] { return create(ctx, *a); }; });

  cmd->add_subcommand("list", "List backups, newest first")->callback([&ctx] {
    ctx.action = [&ctx] { return list(ctx); };
  });

  auto id = std::make_shared<std::string>();
  auto* show_cmd = cmd->add_subcommand("show", "Show one backup's metadata (JSON)");
  show_cmd->add_option("ID", *id, "Backup id")->required();
  show_cmd->callback([&ctx, id] { ctx.action = [&ctx, id] { return show(ctx, *id); }; });

  auto* verify_cmd = cmd->add_subcommand("verify", "Check every frame and the whole-file checksum (exit 3 on damage)");
  verify_cmd->add_option("ID_OR_FILE", *id, "Backup id or archive file")->required();
  auto verify_key = std::make_shared<std::string>();
  verify_cmd->add_option("--key-file", *verify_key,
                         "Key file of an encrypted backup: authenticates every chunk (default: $CLAUDELENS_KEY_FILE)");
  verify_cmd->callback(
      [&ctx, id, verify_key] { ctx.action = [&ctx, id, verify_key] { return verify(ctx, *id, *verify_key); }; });

  auto* delete_cmd = cmd->add_subcommand("delete", "Delete a backup's file and record");
  delete_cmd->add_option("ID", *id, "Backup id")->required();
  auto force = std::make_shared<bool>(false);
  delete_cmd->add_flag("--force", *force,
                       "Also delete the incremental backups that need it as their parent (refused otherwise, exit 4)");
  delete_cmd->callback([&ctx, id, force] { ctx.action = [&ctx, id, force] { return remove(ctx, *id, *force); }; });

  auto output = std::make_shared<std::string>();
  auto* download_cmd = cmd->add_subcommand("download", "Copy a backup's file out of the backup directory, checked");
  download_cmd->add_option("ID", *id, "Backup id")->required();
  download_cmd->add_option("-o,--output", *output, "Target file (default: ./backup-<id>.claudelens)");
  download_cmd->callback(
      [&ctx, id, output] { ctx.action = [&ctx, id, output] { return download(ctx, *id, *output); }; });
}

}  // namespace claudelens::cli
