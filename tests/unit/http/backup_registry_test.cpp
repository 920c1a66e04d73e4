// The server's cached backups registry (backup_registry.hpp) and API-key cache (auth.hpp): answers from
// the cache are byte for byte those of a fresh read of the store, and every commit, from this store's
// connections or from another Store on the same file (as another process writes), is seen by the next
// request. (tests/integration/server_cache_test.cpp does the same with a real second process.)
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <boost/json.hpp>

#include "backup/metadata.hpp"
#include "http/auth.hpp"
#include "http/backup_list.hpp"
#include "http/errors.hpp"
#include "http/handlers/backup_access.hpp"
#include "store/keys.hpp"
#include "unit/http/handler_test_support.hpp"

namespace claudelens::testing {
namespace {

using http::Method;

/// A registry record written straight into the store (no archive: the routes read metadata only).
backup::BackupMetadata record(const std::string& id, const std::string& owner, const std::string& name,
                              backup::BackupType type, backup::BackupStatus status, TimeMs created_at,
                              std::int64_t size) {
  backup::BackupMetadata m;
  m.id = id;
  m.name = name;
  m.description = "about " + name;
  m.filename = "backup-" + id + ".claudelens";
  m.filepath = m.filename;
  m.created_at = created_at;
  m.created_by = owner;
  m.size_bytes = size;
  m.compressed_size_bytes = size / 3;
  m.type = type;
  m.status = status;
  m.checksum = std::string(64, 'a');
  m.version = "1.1.0";
  m.contents.messages_count = size / 100;
  if (type == backup::BackupType::incremental) m.parent_backup_id = "b00";
  return m;
}

void save(store::Store& s, const backup::BackupMetadata& m) {
  auto w = s.write();
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_TRUE(backup::save_metadata(**w, m, m.created_at + 1));
  ASSERT_TRUE((*w)->commit());
}

void save_restore(store::Store& s, const std::string& id, const std::string& owner, const std::string& backup_id) {
  auto w = s.write();
  ASSERT_TRUE(w) << w.error().message;
  json::object o{
      {"_id", id},           {"backup_id", backup_id}, {"restored_at", "2026-01-02T03:04:05Z"}, {"restored_by", owner},
      {"status", "success"}, {"documents_restored", 7}};
  ASSERT_TRUE((*w)->put_system(store::SystemTable::restores,
                               store::SystemRecord{id, owner, "full", "success", 5, 5, json::serialize(o)}));
  ASSERT_TRUE((*w)->commit());
}

/// A dozen backups of two owners, of every type, status and size order, named so that name order,
/// time order and size order differ.
void seed(Api& api) {
  using T = backup::BackupType;
  using S = backup::BackupStatus;
  const std::string admin = api.fixture().admin.id, bob = api.user.id;
  const char* names[] = {"Nightly", "alpha", "weekly b", "Zeta",  "monthly", "beta",
                         "delta",   "omega", "gamma",    "Kappa", "iota",    "epsilon"};
  for (int i = 0; i < 12; ++i) {
    const auto type = i % 3 == 0 ? T::full : i % 3 == 1 ? T::incremental : T::selective;
    const auto status = i == 4 ? S::failed : i == 7 ? S::in_progress : S::completed;
    save(*api.fixture().store, record(fmt::format("b{:02}", i), i % 4 == 1 ? bob : admin, names[i], type, status,
                                      1'767'225'600'000 + (i * 7 % 12) * 86'400'000, 1000 + (i * 5 % 12) * 333));
  }
  save_restore(*api.fixture().store, "r1", admin, "b00");
  save_restore(*api.fixture().store, "r2", bob, "b01");
  save_restore(*api.fixture().store, "r3", admin, "b01");
  save_restore(*api.fixture().store, "r4", bob, "b00");
}

/// GET /backups as it was answered before the cache: every record parsed from a fresh read, the
/// caller's kept, list_backups' object serialized.
std::string uncached_list(store::Store& s, const http::Caller& caller, const std::string& query) {
  std::vector<backup::BackupMetadata> visible;
  auto r = s.read();
  EXPECT_TRUE(r);
  EXPECT_TRUE(backup::for_each_metadata(**r, [&](const backup::BackupMetadata& m) {
    if (caller.may_see(m.created_by)) visible.push_back(m);
    return true;
  }));
  auto q = http::parse_list_query(http::parse_query(query));
  EXPECT_TRUE(q.value);
  return json::serialize(http::list_backups(visible, *q.value, http::backup_json));
}

/// GET /backups/{id} as it was answered before the cache.
std::string uncached_show(store::Store& s, const std::filesystem::path& backup_dir, const http::Caller& caller,
                          const std::string& id) {
  auto r = s.read();
  EXPECT_TRUE(r);
  auto m = backup::load_metadata(**r, id);
  EXPECT_TRUE(m && *m);
  json::object o = http::backup_json(**m);
  o["storage_location"] = (backup_dir / (*m)->filepath).string();
  json::array attempts;
  EXPECT_TRUE((*r)->for_each_system(store::SystemTable::restores, [&](const store::SystemRecord& rec) {
    if (!caller.may_see(rec.owner_id)) return true;
    const json::object v = json::parse(rec.json).as_object();
    if (v.at("backup_id").as_string() != id) return true;
    json::object a;
    for (const char* key : {"_id", "restored_at", "restored_by", "status", "documents_restored", "error_message"})
      a[key] = v.contains(key) ? v.at(key) : json::value(nullptr);
    attempts.push_back(std::move(a));
    return true;
  }));
  o["restore_history"] = std::move(attempts);
  return json::serialize(o);
}

std::string body_of(Api& api, const std::string& target, const http::Caller& caller) {
  auto a = api.call(Method::get, target, "", caller);
  EXPECT_EQ(a.status, 200) << json::serialize(a.body);
  return a.response.body;
}

TEST(BackupRegistry, answers_are_byte_for_byte_those_of_a_fresh_read) {
  TempDir dir;
  Api api(dir);
  seed(api);
  const char* queries[] = {"",
                           "sort=name,asc",
                           "sort=name,desc&size=5&page=2",
                           "sort=size_bytes,asc&size=3",
                           "sort=created_at,asc&page=3&size=4",
                           "type=incremental",
                           "status=completed&min_size=1500&max_size=4000",
                           "created_after=2026-01-03T00:00:00Z&created_before=2026-01-09T00:00:00Z",
                           "search=ETA",
                           "page=9"};
  for (const auto& caller : {api.admin(), api.bob()}) {
    for (const char* q : queries) {
      const std::string target = std::string("/api/v1/backups") + (*q ? "?" : "") + q;
      EXPECT_EQ(body_of(api, target, caller), uncached_list(*api.fixture().store, caller, q)) << target;
    }
  }
  for (const char* id : {"b00", "b01", "b05", "b07"}) {  // b01 and b05 are bob's; b00 and b01 were restored
    EXPECT_EQ(body_of(api, std::string("/api/v1/backups/") + id, api.admin()),
              uncached_show(*api.fixture().store, api.backup_dir(), api.admin(), id));
  }
  EXPECT_EQ(body_of(api, "/api/v1/backups/b01", api.bob()),
            uncached_show(*api.fixture().store, api.backup_dir(), api.bob(), "b01"));
  EXPECT_EQ(api.call(Method::get, "/api/v1/backups/b00", "", api.bob()).status, 404);  // the admin's
  // The ownership rules hold in the cached answer: bob sees his 3 backups and his 1 restore of b01.
  const auto mine = json::parse(body_of(api, "/api/v1/backups", api.bob()));
  EXPECT_EQ(mine.at("summary").at("total_backups").as_int64(), 3);
  const auto b01 = json::parse(body_of(api, "/api/v1/backups/b01", api.bob()));
  ASSERT_EQ(b01.at("restore_history").as_array().size(), 1u);
  EXPECT_EQ(b01.at("restore_history").at(0).at("_id").as_string(), "r2");
}

TEST(BackupRegistry, a_second_request_with_nothing_committed_reads_nothing) {
  TempDir dir;
  Api api(dir);
  seed(api);
  (void)body_of(api, "/api/v1/backups", api.admin());
  const auto reads = api.services.registry->reads();
  for (int i = 0; i < 5; ++i) {
    (void)body_of(api, "/api/v1/backups?sort=name,asc", api.admin());
    (void)body_of(api, "/api/v1/backups/b03", api.admin());
  }
  EXPECT_EQ(api.services.registry->reads(), reads);
}

TEST(BackupRegistry, every_commit_is_seen_by_the_next_request) {
  TempDir dir;
  Api api(dir);
  seed(api);
  auto& store = *api.fixture().store;
  auto names = [&] {
    std::vector<std::string> out;
    const auto v = json::parse(body_of(api, "/api/v1/backups?sort=name,asc&size=100", api.admin()));
    for (const auto& i : v.at("items").as_array()) out.emplace_back(i.at("name").as_string());
    return out;
  };
  ASSERT_EQ(names().size(), 12u);

  // A record changed through this store (a backup's progress, completion, a rename by the runner).
  auto m = record("b03", api.fixture().admin.id, "Zeta renamed", backup::BackupType::full,
                  backup::BackupStatus::completed, 1'767'225'600'000, 1000);
  save(store, m);
  EXPECT_EQ(names().back(), "Zeta renamed");
  auto shown = json::parse(body_of(api, "/api/v1/backups/b03", api.admin()));
  EXPECT_EQ(shown.at("name").as_string(), "Zeta renamed");

  // Written by another Store on the same file: its own connections, as another process (the CLI) has.
  auto other = store::open_store(store.url());
  ASSERT_TRUE(other) << other.error().message;
  save(**other, record("b99", api.fixture().admin.id, "from elsewhere", backup::BackupType::full,
                       backup::BackupStatus::completed, 1'767'225'600'000, 10));
  EXPECT_EQ(names().size(), 13u);
  save_restore(**other, "r9", api.fixture().admin.id, "b99");
  shown = json::parse(body_of(api, "/api/v1/backups/b99", api.admin()));
  ASSERT_EQ(shown.at("restore_history").as_array().size(), 1u);
  {
    auto w = (*other)->write();
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->delete_system(store::SystemTable::backups, "b99"));
    ASSERT_TRUE((*w)->commit());
  }
  EXPECT_EQ(names().size(), 12u);
  EXPECT_EQ(api.call(Method::get, "/api/v1/backups/b99").status, 404);

  // A real backup through the job service, then its deletion through the API.
  const std::string id = api.make_backup("real one");
  EXPECT_EQ(names().size(), 13u);
  EXPECT_EQ(json::parse(body_of(api, "/api/v1/backups/" + id, api.admin())).at("status").as_string(), "completed");
  ASSERT_EQ(api.call(Method::del, "/api/v1/backups/" + id).status, 200);
  EXPECT_EQ(names().size(), 12u);
  EXPECT_EQ(api.call(Method::get, "/api/v1/backups/" + id).status, 404);
}

TEST(BackupRegistry, an_unreadable_record_fails_the_list_and_its_own_id_as_a_fresh_read_does) {
  TempDir dir;
  Api api(dir);
  seed(api);
  (void)body_of(api, "/api/v1/backups", api.admin());  // cached before the damage
  {
    auto w = api.fixture().store->write();
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->put_system(store::SystemTable::backups,
                                 store::SystemRecord{"bad", api.fixture().admin.id, "full", "completed", 1, 1, "[]"}));
    ASSERT_TRUE((*w)->commit());
  }
  // As a scan of every record answered: the error of metadata_from_json (corrupted), mapped as ever.
  const http::ApiError expected = http::api_error(Error(Errc::corrupted, "backup record is not a JSON object"));
  for (const char* target : {"/api/v1/backups", "/api/v1/backups/bad"}) {
    const auto a = api.call(Method::get, target);
    EXPECT_EQ(a.status, expected.status) << target;
    EXPECT_EQ(a.code(), expected.code) << target;
    EXPECT_NE(std::string(a.body.at("error").at("message").as_string()).find("not a JSON object"), std::string::npos);
  }
  EXPECT_EQ(api.call(Method::get, "/api/v1/backups/b00").status, 200);  // the others still answer
}

TEST(KeyCache, a_key_revoked_elsewhere_stops_working_at_once) {
  TempDir dir;
  RestoreFixture fixture(dir);
  store::NewKey key;
  {
    auto w = fixture.store->write();
    ASSERT_TRUE(w);
    auto made = store::create_user_key(**w, "carol", store::Role::user, 5);
    ASSERT_TRUE(made) << made.error().message;
    key = *made;
    ASSERT_TRUE((*w)->commit());
  }
  http::KeyCache cache;
  auto who = cache.authenticate(*fixture.store, key.plaintext);
  ASSERT_TRUE(std::holds_alternative<http::Caller>(who));
  EXPECT_EQ(std::get<http::Caller>(who).user_id, key.user.id);
  EXPECT_EQ(std::get<http::Caller>(who).key_id, key.key.id);
  const auto lookups = cache.lookups();
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(std::holds_alternative<http::Caller>(cache.authenticate(*fixture.store, key.plaintext)));
  EXPECT_EQ(cache.lookups(), lookups);  // answered from memory

  auto other = store::open_store(fixture.store->url());  // as another process (`claudelens keys revoke`)
  ASSERT_TRUE(other);
  {
    auto w = (*other)->write();
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->revoke_api_key(key.key.id, 9));
    ASSERT_TRUE((*w)->commit());
  }
  who = cache.authenticate(*fixture.store, key.plaintext);
  ASSERT_TRUE(std::holds_alternative<http::ApiError>(who));
  EXPECT_EQ(std::get<http::ApiError>(who).status, 401);
  EXPECT_EQ(std::get<http::ApiError>(who).code, "UNAUTHORIZED");
  EXPECT_TRUE(std::holds_alternative<http::ApiError>(cache.authenticate(*fixture.store, "cl_unknown_key")));
  EXPECT_TRUE(std::holds_alternative<http::ApiError>(cache.authenticate(*fixture.store, "")));
}

TEST(KeyCache, a_key_revoked_through_this_store_stops_working_at_once) {
  TempDir dir;
  RestoreFixture fixture(dir);
  store::NewKey key;
  {
    auto w = fixture.store->write();
    auto made = store::create_user_key(**w, "dave", store::Role::admin, 5);
    ASSERT_TRUE(made);
    key = *made;
    ASSERT_TRUE((*w)->commit());
  }
  http::KeyCache cache;
  ASSERT_TRUE(std::holds_alternative<http::Caller>(cache.authenticate(*fixture.store, key.plaintext)));
  {
    auto w = fixture.store->write();
    ASSERT_TRUE((*w)->revoke_api_key(key.key.id, 9));
    ASSERT_TRUE((*w)->commit());
  }
  EXPECT_TRUE(std::holds_alternative<http::ApiError>(cache.authenticate(*fixture.store, key.plaintext)));
}

}  // namespace
}  // namespace claudelens::testing
