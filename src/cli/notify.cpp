// `claudelens notify test [--channel webhook|email]…` (docs/notifications.md "Test notifications"): sends
// a `test` event at once with the stored notification settings — the CLI twin of POST
// /settings/backup/notifications/test, through the same notify::send_test (signed and written like a
// real notification, never queued or retried). Exit 0 when every channel took it, 1 when one did not,
// 2 when nothing (or a named channel) is configured.
#include <fmt/format.h>
#include <boost/json.hpp>

#include <iostream>

#include "cli/context.hpp"
#include "cli/exit_codes.hpp"
#include "core/time.hpp"
#include "notify/send.hpp"
#include "store/audit.hpp"

namespace claudelens::cli {
namespace {

int test(Context& ctx, const std::vector<std::string>& channels) {
  auto st = ctx.store();
  if (!st) return report(st.error());
  notify::NotificationSettings settings;
  {
    auto reader = (*st)->read();
    if (!reader) return report(reader.error());
    auto loaded = notify::load_notification_settings(**reader);
    if (!loaded) return report(loaded.error());
    settings = std::move(*loaded);
  }
  if (const auto problems = notify::test_problems(settings, channels); !problems.empty()) {
    std::string text = "nothing to test:";
    for (const auto& p : problems) text += fmt::format("\n  {} {}", p.field, p.message);
    text += "\n(set them with PUT /api/v1/settings/backup or on the web page's Notifications screen)";
    return report(Error(Errc::invalid_argument, text));
  }
  notify::TestOptions options;
  options.channels = channels;
  options.requested_by = "claudelens notify test";
  const auto results = notify::send_test(settings, options);
  (void)store::record_cli_audit(**st, "notifications.tested", "settings", "backup",
                                notify::test_audit_details(results, {}), system_clock().now_ms());

  bool all_ok = true;
  for (const auto& r : results) all_ok = all_ok && r.ok;
  if (ctx.json) {
    print_json(notify::test_report_json(results));
  } else {
    for (const auto& r : results) {
      const std::string status = r.http_status > 0 ? fmt::format(" (HTTP {})", r.http_status) : "";
      std::cout << fmt::format("{:<8} {}{} in {} ms{}\n", r.channel, r.ok ? "delivered" : "FAILED", status,
                               r.duration_ms, r.ok ? "" : ": " + r.error);
    }
  }
  return all_ok ? k_exit_ok : k_exit_failure;
}

}  // namespace

void add_notify_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("notify", "Notifications (docs/notifications.md)");
  cmd->require_subcommand(1);
  auto channels = std::make_shared<std::vector<std::string>>();
  auto* sub =
      cmd->add_subcommand("test", "Send a test notification now with the stored settings (not queued, not retried)");
  sub->add_option("--channel", *channels, "webhook or email (repeatable; default: every configured channel)")
      ->check(CLI::IsMember({"webhook", "email"}));
  sub->callback([&ctx, channels] { ctx.action = [&ctx, channels] { return test(ctx, *channels); }; });
}

}  // namespace claudelens::cli
