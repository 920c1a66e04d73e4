// `claudelens keys create|list|revoke`: users and their API keys (SPEC §3, API.md /keys).
#include <fmt/format.h>
#include <boost/json.hpp>

#include <iostream>

#include "cli/context.hpp"
#include "cli/exit_codes.hpp"
#include "core/time.hpp"
#include "store/audit.hpp"
#include "store/keys.hpp"

namespace claudelens::cli {
namespace {

namespace json = boost::json;

/// The key's audit line, in the command's transaction, signed by the CLI's user.
Status audit(store::Writer& writer, std::string_view action, const std::string& key_id, const json::object& details,
             TimeMs now) {
  CL_TRY(user, store::cli_audit_user(writer));
  return store::append_audit(writer, store::audit_event(user, action, "api_key", key_id, details), now);
}

int create_key(Context& ctx, const std::string& name, const std::string& role_text) {
  const auto role = store::parse_role(role_text);
  if (!role)
    return report(Error(Errc::invalid_argument, fmt::format("--role must be admin or user, not '{}'", role_text)));
  auto st = ctx.store();
  if (!st) return report(st.error());
  auto writer = (*st)->write();
  if (!writer) return report(writer.error());
  auto made = store::create_user_key(**writer, name, *role, system_clock().now_ms());
  if (!made) return report(made.error());
  if (auto a =
          audit(**writer, "key.created", made->key.id,
                {{"name", made->key.name}, {"role", store::role_name(made->user.role)}, {"user_id", made->user.id}},
                made->key.created_at);
      !a)
    return report(a.error());
  if (auto c = (*writer)->commit(); !c) return report(c.error());
  if (ctx.json) {
    std::cout << json::serialize(json::object{{"_id", made->key.id},
                                              {"name", made->key.name},
                                              {"role", store::role_name(made->user.role)},
                                              {"user_id", made->user.id},
                                              {"key", made->plaintext},
                                              {"created_at", format_iso8601(made->key.created_at)}})
              << "\n";
  } else {
    std::cout << made->plaintext << "\n";
    std::cerr << fmt::format("Key {} for {} user '{}' created. It is shown only this once.\n", made->key.id,
                             store::role_name(made->user.role), made->user.name);
  }
  return k_exit_ok;
}

int list_keys(Context& ctx) {
  auto st = ctx.store();
  if (!st) return report(st.error());
  auto reader = (*st)->read();
  if (!reader) return report(reader.error());
  json::array out;
  auto& r = **reader;
  const Status scan = r.for_each_api_key([&](const store::ApiKey& k) {
    auto user = r.get_user(k.user_id);
    json::object o{{"_id", k.id},
                   {"name", k.name},
                   {"prefix", k.prefix},
                   {"user_id", k.user_id},
                   {"created_at", format_iso8601(k.created_at)},
                   {"revoked", k.revoked_at.has_value()}};
    o["role"] = user && *user ? json::value(store::role_name((*user)->role)) : json::value(nullptr);
    o["user"] = user && *user ? json::value((*user)->name) : json::value(nullptr);
    o["last_used_at"] = k.last_used_at ? json::value(format_iso8601(*k.last_used_at)) : json::value(nullptr);
    out.push_back(std::move(o));
    return true;
  });
  if (!scan) return report(scan.error());
  if (ctx.json) {
    std::cout << json::serialize(out) << "\n";
    return k_exit_ok;
  }
  std::cout << fmt::format("{:<26} {:<20} {:<6} {:<10} {:<21} {}\n", "ID", "NAME", "ROLE", "PREFIX", "CREATED",
                           "STATE");
  for (const auto& v : out) {
    const auto& o = v.as_object();
    std::cout << fmt::format("{:<26} {:<20} {:<6} {:<10} {:<21} {}\n", json::value_to<std::string>(o.at("_id")),
                             json::value_to<std::string>(o.at("name")),
                             o.at("role").is_string() ? json::value_to<std::string>(o.at("role")) : "?",
                             json::value_to<std::string>(o.at("prefix")),
                             json::value_to<std::string>(o.at("created_at")),
                             o.at("revoked").as_bool() ? "revoked" : "active");
  }
  return k_exit_ok;
}

int revoke_key(Context& ctx, const std::string& id) {
  auto st = ctx.store();
  if (!st) return report(st.error());
  auto writer = (*st)->write();
  if (!writer) return report(writer.error());
  const TimeMs now = system_clock().now_ms();
  if (auto r = (*writer)->revoke_api_key(id, now); !r) return report(r.error());
  if (auto a = audit(**writer, "key.revoked", id, {}, now); !a) return report(a.error());
  if (auto c = (*writer)->commit(); !c) return report(c.error());
  if (ctx.json) {
    std::cout << json::serialize(json::object{{"_id", id}, {"revoked_at", format_iso8601(now)}}) << "\n";
  } else {
    std::cerr << fmt::format("Key {} revoked.\n", id);
  }
  return k_exit_ok;
}

}  // namespace

void add_keys_command(CLI::App& app, Context& ctx) {
  auto* keys = app.add_subcommand("keys", "Users and their API keys");
  keys->require_subcommand(1);

  struct CreateArgs {
    std::string name, role = "user";
  };
  auto args = std::make_shared<CreateArgs>();
  auto* create = keys->add_subcommand("create", "Create a user and an API key (the key is printed once)");
  create->add_option("--name", args->name, "The user's name")->required();
  create->add_option("--role", args->role, "admin or user")->capture_default_str();
  create->callback([&ctx, args] { ctx.action = [&ctx, args] { return create_key(ctx, args->name, args->role); }; });

  auto* list = keys->add_subcommand("list", "List API keys (never the keys themselves)");
  list->callback([&ctx] { ctx.action = [&ctx] { return list_keys(ctx); }; });

  auto id = std::make_shared<std::string>();
  auto* revoke = keys->add_subcommand("revoke", "Revoke an API key by id");
  revoke->add_option("ID", *id, "The key's id (from `keys list`)")->required();
  revoke->callback([&ctx, id] { ctx.action = [&ctx, id] { return revoke_key(ctx, *id); }; });
}

}  // namespace claudelens::cli
