// `claudelens serve`: the HTTP/WebSocket server, the job workers and the scheduler (SPEC §3, docs/http.md,
// docs/schedule.md). On first start (no admin key in the store and none given with --api-key) it creates
// an admin key and prints it once; only its hash is stored. Prints "Serving at http://HOST:PORT" when it
// listens (tests read the port from that line).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "cli/context.hpp"
#include "cli/exit_codes.hpp"
#include "cli/key_file.hpp"
#include "http/backup_settings.hpp"
#include "http/errors.hpp"
#include "http/rate_limiter.hpp"
#include "http/routes.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"
#include "jobs/jobs.hpp"
#include "notify/notifier.hpp"
#include "schedule/quota.hpp"
#include "schedule/scheduler.hpp"
#include "store/keys.hpp"

namespace claudelens::cli {
namespace {

/// Test-only clock: the system time plus the milliseconds written in a file (read on every call), so
/// that a test can move the server an hour ahead without waiting. Set by CLAUDELENS_TEST_CLOCK_FILE.
class OffsetFileClock final : public Clock {
 public:
  explicit OffsetFileClock(std::string path) : m_path(std::move(path)) {}
  TimeMs now_ms() const override {
    std::ifstream in(m_path);
    long long offset = 0;
    if (!(in >> offset)) offset = 0;
    return system_clock().now_ms() + offset;
  }

 private:
  std::string m_path;
};

/// True when some unrevoked key belongs to an admin.
Result<bool> has_admin_key(store::Reader& reader) {
  bool found = false;
  std::optional<Error> failure;
  CL_CHECK(reader.for_each_api_key([&](const store::ApiKey& k) {
    if (k.revoked_at) return true;
    auto user = reader.get_user(k.user_id);
    if (!user) {
      failure = user.error();
      return false;
    }
    found = *user && (*user)->role == store::Role::admin;
    return !found;
  }));
  if (failure) return fail(*failure);
  return found;
}

/// Adopts --api-key, or makes the first admin key and prints it. Returns the printed key ("" if none).
Result<std::string> ensure_admin_key(store::Store& st, const std::string& given, TimeMs now) {
  CL_TRY(writer, st.write());
  if (!given.empty()) {
    CL_CHECK(store::adopt_admin_key(*writer, given, now));
    CL_CHECK(writer->commit());
    return std::string();
  }
  CL_TRY(has, has_admin_key(*writer));
  if (has) return std::string();
  CL_TRY(made, store::create_user_key(*writer, "admin", store::Role::admin, now));
  CL_CHECK(writer->commit());
  return made.plaintext;
}

/// --web-dir: the built web page (static_files.hpp; default $CLAUDELENS_WEB_DIR, else web/ beside the binary).
std::string g_web_dir;
/// --key-file: the key of encrypted backups (wins over CLAUDELENS_KEY_FILE); read once at start.
std::string g_key_file;
/// --http-workers: threads that run request handlers (http::ServerOptions::worker_threads).
int g_http_workers = http::ServerOptions{}.worker_threads;
/// --job-nice: how much nicer the job workers run than request handling (jobs::ServiceOptions::job_nice).
int g_job_nice = 10;
/// --requests-during-jobs: requests a second while a job runs (http::PacerOptions::per_second; 0: off).
int g_requests_during_jobs = static_cast<int>(http::PacerOptions{}.per_second);

int serve(Context& ctx) {
  auto st = ctx.store();
  if (!st) return report(st.error());
  store::Store& store = **st;

  std::unique_ptr<Clock> test_clock;
  if (const char* path = std::getenv("CLAUDELENS_TEST_CLOCK_FILE"); path && *path) {
    spdlog::warn("CLAUDELENS_TEST_CLOCK_FILE is set: the server's clock is shifted by {} (tests only)", path);
    test_clock = std::make_unique<OffsetFileClock>(path);
  }
  const Clock& clock = test_clock ? *test_clock : system_clock();

  if (ctx.settings.max_upload_mb <= 0)
    return report(Error(Errc::invalid_argument, "--max-upload-mb must be a positive number of megabytes"));
  std::error_code ec;
  std::filesystem::create_directories(ctx.settings.backup_dir, ec);
  if (ec)
    return report(Error(
        Errc::io, fmt::format("cannot create the backup directory {}: {}", ctx.settings.backup_dir, ec.message())));

  // The server's key: read once, never logged; backups that ask for encryption and encrypted archives
  // (previews, restores, uploads) use it. It outlives the job service and the server below.
  auto passphrase = load_key_file(g_key_file);
  if (!passphrase) return report(passphrase.error());

  auto key = ensure_admin_key(store, ctx.settings.api_key, clock.now_ms());
  if (!key) return report(key.error());

  http::RateLimiter limiter(clock);
  http::Services services;
  services.store = &store;
  services.backup_dir = ctx.settings.backup_dir;
  services.clock = &clock;
  services.max_upload_bytes = static_cast<std::uint64_t>(ctx.settings.max_upload_mb) << 20;
  services.rate_limiter = &limiter;
  services.passphrase = passphrase->get();
  {
    auto reader = store.read();
    if (!reader) return report(reader.error());
    auto settings = http::load_backup_settings(**reader, services.backup_dir);
    if (!settings) return report(settings.error());
    limiter.set_limits(http::rate_limits_of(*settings));
  }

  // Backups and restores run as jobs of this process's pool; jobs of a process that died are failed first.
  jobs::ServiceOptions job_options;
  job_options.backup_dir = ctx.settings.backup_dir;
  job_options.clock = &clock;
  // Never the bulk mode: it locks every other connection out of the database for the whole restore,
  // and the server reads the store on every request (keys, listings, job status).
  job_options.bulk_restore = jobs::BulkRestore::never;
  job_options.passphrase = passphrase->get();
  job_options.job_nice = g_job_nice;  // requests preempt backups and restores (docs/jobs.md "Priority")
  job_options.admit_backup = schedule::quota_admission(store, ctx.settings.backup_dir);  // 507 over the quota
  // Notifications (docs/notifications.md): a finished job queues its event in the store's outbox (one
  // insert on the job's thread); the notifier's own thread delivers, retries and gives up.
  notify::NotifierOptions notify_options;
  notify_options.clock = &clock;
  notify_options.code_name = http::api_error_code;
  notify::Notifier notifier(store, notify_options);
  job_options.on_final = [&notifier](const jobs::JobEvent& event) { notifier.on_job_final(event); };
  auto job_service = jobs::JobService::open(store, job_options);
  if (!job_service) return report(job_service.error());
  if (auto recovered = (*job_service)->recover(); !recovered) return report(recovered.error());
  services.jobs = job_service->get();

  http::Router router;
  http::register_routes(router, services);
  http::add_static_files(router, http::resolve_web_dir(g_web_dir));
  http::ServerOptions options;
  options.listen = ctx.settings.listen;
  options.worker_threads = g_http_workers;
  options.pacing.per_second = g_requests_during_jobs;
  options.pacing.burst = static_cast<std::size_t>(std::max(1, g_requests_during_jobs / 10));  // a tenth of a second
  http::Server server(options, router, services);
  auto port = server.listen();
  if (!port) return report(port.error());

  const auto colon = options.listen.rfind(':');
  std::string host = options.listen.substr(0, colon);
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (!key->empty()) {
    std::cout << "Admin API key (shown once; only its hash is stored): " << *key << "\n";
  }
  notifier.start();
  if (auto started = (*job_service)->start(); !started) return report(started.error());
  // The scheduler (docs/schedule.md): schedules' slots as jobs of this pool, retention, the quota watch.
  schedule::SchedulerOptions scheduler_options;
  scheduler_options.backup_dir = ctx.settings.backup_dir;
  scheduler_options.clock = &clock;
  // retention.deleted and storage.low go to the notifier's outbox like a finished job's event.
  scheduler_options.on_event = notifier.emitter();
  schedule::Scheduler scheduler(store, **job_service, scheduler_options);
  scheduler.start();

  std::cout << fmt::format("Serving at http://{}:{}", host, *port) << std::endl;
  server.run();
  scheduler.stop();                                // first: no new scheduled jobs while the pool stops
  (*job_service)->stop(std::chrono::seconds(10));  // running jobs are cancelled: their partial files go
  notifier.stop();  // a delivery under way is interrupted; its row is due again at the next start
  std::cerr << "claudelens: server stopped\n";
  return k_exit_ok;
}

}  // namespace

void add_serve_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("serve",
                                 "Serve the HTTP/WebSocket API (uses --listen, --backup-dir, --api-key, "
                                 "--max-upload-mb, --key-file)");
  cmd->add_option(
      "--web-dir", g_web_dir,
      "Folder of the built web page served at / (default: $CLAUDELENS_WEB_DIR, else web/ beside the binary)");
  cmd->add_option("--key-file", g_key_file,
                  "Key file of encrypted backups (default: $CLAUDELENS_KEY_FILE; none: encryption refused)");
  cmd->add_option("--http-workers", g_http_workers,
                  "Threads that run request handlers (default: 8; env CLAUDELENS_HTTP_WORKERS)")
      ->envname("CLAUDELENS_HTTP_WORKERS")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--job-nice", g_job_nice,
                  "How much nicer backup and restore jobs run than request handling, 0-19 (default: 10; env "
                  "CLAUDELENS_JOB_NICE)")
      ->envname("CLAUDELENS_JOB_NICE")
      ->check(CLI::Range(0, 19));
  cmd->add_option("--requests-during-jobs", g_requests_during_jobs,
                  "While a backup or restore runs, handle at most this many requests a second; the others "
                  "wait their turn, none is refused; 0: no limit (default: 1000; env CLAUDELENS_REQUESTS_DURING_JOBS)")
      ->envname("CLAUDELENS_REQUESTS_DURING_JOBS")
      ->check(CLI::Range(0, 1000000));
  cmd->callback([&ctx] { ctx.action = [&ctx] { return serve(ctx); }; });
}

}  // namespace claudelens::cli
