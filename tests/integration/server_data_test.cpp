// The data endpoints over loopback: POST /ingest/batch with the real transcripts, then projects, sessions
// and messages (paged, per owner), and the prompts / ai-settings CRUD, with another user's ids → 404.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "integration/server_fixture.hpp"
#include "integration/transcripts.hpp"

namespace claudelens::testing {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

const fs::path k_sniffly = fs::path(CLAUDELENS_SHARED_DIR) / "data/claude-transcripts/chiphuyen__sniffly";

/// The project's lines as the upstream CLI sends them: each record plus `_project_path`.
struct Batch {
  json::array records;
  std::int64_t with_session = 0;  ///< records that carry a sessionId
  std::set<std::string> sessions;
};

Batch load_batch(const fs::path& folder, const std::string& project_path) {
  Batch b;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(folder))
    if (e.path().extension() == ".jsonl") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    for (const auto& line : split_lines(read_file(f))) {
      if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
      json::object o = json::parse(line).as_object();
      if (o.contains("sessionId")) {
        ++b.with_session;
        b.sessions.insert(std::string(o.at("sessionId").as_string()));
      }
      o["_project_path"] = project_path;
      b.records.push_back(std::move(o));
    }
  }
  return b;
}

class ServerData : public ServerTest {
 protected:
  /// Ingests the sniffly transcripts as `key`'s; returns the stats.
  json::object ingest(const std::string& key, bool overwrite = false) {
    const auto r =
        post("/api/v1/ingest/batch", json::object{{"messages", m_batch.records}, {"overwrite_mode", overwrite}}, key);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().at("stats").as_object();
  }
  Batch m_batch = load_batch(k_sniffly, "/home/chip/code/sniffly");
};

TEST_F(ServerData, ingest_batch_stores_real_transcripts_once) {
  const auto total = static_cast<std::int64_t>(m_batch.records.size());
  ASSERT_GT(total, 50);
  const auto first = ingest(k_admin_key);
  EXPECT_EQ(first.at("messages_received").as_int64(), total);
  EXPECT_EQ(first.at("messages_failed").as_int64(), total - m_batch.with_session) << "records without a sessionId";
  EXPECT_EQ(first.at("messages_processed").as_int64() + first.at("messages_skipped").as_int64(), m_batch.with_session);
  EXPECT_GT(first.at("messages_processed").as_int64(), 0);
  EXPECT_EQ(first.at("sessions_created").as_int64(), static_cast<std::int64_t>(m_batch.sessions.size()));
  ASSERT_EQ(first.at("projects_created").as_array().size(), 1u);
  EXPECT_EQ(first.at("projects_created").at(0).at("name").as_string(), "-home-chip-code-sniffly");

  // Idempotent: the same batch again adds nothing.
  const auto again = ingest(k_admin_key);
  EXPECT_EQ(again.at("messages_processed").as_int64(), 0);
  EXPECT_EQ(again.at("messages_skipped").as_int64(), m_batch.with_session);
  EXPECT_EQ(again.at("sessions_created").as_int64(), 0);
  EXPECT_TRUE(again.at("projects_created").as_array().empty());

  // What the listings show adds up to what was stored.
  const auto projects = get("/api/v1/projects").json();
  ASSERT_EQ(projects.at("items").as_array().size(), 1u);
  const auto& project = projects.at("items").at(0);
  const auto project_id = std::string(project.at("_id").as_string());
  EXPECT_EQ(project.at("sessions_count").as_int64(), static_cast<std::int64_t>(m_batch.sessions.size()));
  EXPECT_EQ(project.at("records_count").as_int64(), first.at("messages_processed").as_int64());
  EXPECT_EQ(get("/api/v1/projects/" + project_id).json().at("_id").as_string(), project_id);

  const auto sessions = get("/api/v1/projects/" + project_id + "/sessions").json();
  std::int64_t records = 0;
  for (const auto& s : sessions.at("items").as_array()) {
    const auto id = std::string(s.at("_id").as_string());
    EXPECT_TRUE(m_batch.sessions.contains(id)) << id;
    records += s.at("records_count").as_int64();
    const auto one = get("/api/v1/sessions/" + id).json();
    EXPECT_EQ(one.at("records_count").as_int64(), s.at("records_count").as_int64());
    const auto messages = get("/api/v1/sessions/" + id + "/messages?size=100").json();
    EXPECT_EQ(messages.at("pagination").at("total_items").as_int64(), s.at("records_count").as_int64());
  }
  EXPECT_EQ(records, first.at("messages_processed").as_int64());
}

TEST_F(ServerData, messages_are_the_records_as_sent_and_page_like_backups) {
  ingest(k_admin_key);
  const std::string session = "ba79134d-b6e9-4867-af0c-6941038c9e4b";
  const auto p1 = get("/api/v1/sessions/" + session + "/messages?page=1&size=10").json();
  const auto& pg = p1.at("pagination");
  EXPECT_EQ(pg.at("current_page").as_int64(), 1);
  EXPECT_EQ(pg.at("page_size").as_int64(), 10);
  EXPECT_TRUE(pg.at("has_next").as_bool());
  EXPECT_FALSE(pg.at("has_previous").as_bool());
  const auto total = pg.at("total_items").as_int64();
  EXPECT_EQ(pg.at("total_pages").as_int64(), (total + 9) / 10);
  ASSERT_EQ(p1.at("items").as_array().size(), 10u);
  // The first record is the first line of the file, field for field (without _project_path).
  json::object expected;
  for (const auto& r : m_batch.records)
    if (r.as_object().contains("sessionId") && r.at("sessionId").as_string() == session) {
      expected = r.as_object();
      break;
    }
  expected.erase("_project_path");
  EXPECT_EQ(p1.at("items").at(0).at("record"), json::value(expected));

  const auto last = get("/api/v1/sessions/" + session +
                        "/messages?page=" + std::to_string(pg.at("total_pages").as_int64()) + "&size=10")
                        .json();
  EXPECT_FALSE(last.at("pagination").at("has_next").as_bool());
  EXPECT_EQ(static_cast<std::int64_t>(last.at("items").as_array().size()), total - 10 * ((total - 1) / 10));
  const auto beyond = get("/api/v1/sessions/" + session + "/messages?page=999").json();
  EXPECT_TRUE(beyond.at("items").as_array().empty());

  for (const std::string bad : {"page=0", "page=-1", "size=0", "size=101", "size=ten", "page=1.5"}) {
    const auto r = get("/api/v1/sessions/" + session + "/messages?" + bad);
    expect_error(r, 400, "VALIDATION_FAILED");
    EXPECT_EQ(bad_fields(r).size(), 1u) << bad;
  }
}

TEST_F(ServerData, another_users_data_answers_404) {
  const auto alice = make_user("alice");
  const auto bob = make_user("bob");
  ingest(alice);
  const auto alice_projects = get("/api/v1/projects", alice).json();
  ASSERT_EQ(alice_projects.at("items").as_array().size(), 1u);
  const auto project_id = std::string(alice_projects.at("items").at(0).at("_id").as_string());
  const std::string session = "ba79134d-b6e9-4867-af0c-6941038c9e4b";

  EXPECT_TRUE(get("/api/v1/projects", bob).json().at("items").as_array().empty());
  expect_error(get("/api/v1/projects/" + project_id, bob), 404, "NOT_FOUND");
  expect_error(get("/api/v1/projects/" + project_id + "/sessions", bob), 404, "NOT_FOUND");
  expect_error(get("/api/v1/sessions/" + session, bob), 404, "NOT_FOUND");
  expect_error(get("/api/v1/sessions/" + session + "/messages", bob), 404, "NOT_FOUND");
  // Admins see everything.
  EXPECT_EQ(get("/api/v1/projects/" + project_id).status, 200);

  // Bob cannot add records to Alice's session by naming it.
  const auto stats = ingest(bob);
  EXPECT_EQ(stats.at("messages_processed").as_int64(), 0);
  EXPECT_EQ(stats.at("messages_failed").as_int64(), static_cast<std::int64_t>(m_batch.records.size()));
  EXPECT_EQ(get("/api/v1/sessions/" + session + "/messages", alice).json().at("pagination").at("total_items"),
            get("/api/v1/sessions/" + session).json().at("records_count"));
}

TEST_F(ServerData, ingest_refuses_bad_batches) {
  expect_error(post("/api/v1/ingest/batch", json::object{{"messages", "nope"}}), 400, "VALIDATION_FAILED");
  expect_error(post("/api/v1/ingest/batch", json::object{}), 400, "VALIDATION_FAILED");
  expect_error(post("/api/v1/ingest/batch", json::object{{"messages", json::array{}}, {"overwrite_mode", "yes"}}), 400,
               "VALIDATION_FAILED");
  json::array many;
  for (int i = 0; i < 1001; ++i) many.push_back(json::object{});
  const auto r = post("/api/v1/ingest/batch", json::object{{"messages", many}});
  expect_error(r, 400, "VALIDATION_FAILED");
  EXPECT_EQ(bad_fields(r), std::vector<std::string>{"messages"});
  // Bad records are reported one by one; good ones still go in.
  const auto mixed =
      post("/api/v1/ingest/batch",
           json::object{{"messages", json::array{json::object{{"type", "user"}},             // no _project_path
                                                 42, json::object{{"_project_path", "/p"}},  // no sessionId
                                                 m_batch.records.at(1)}}});
  ASSERT_EQ(mixed.status, 200) << mixed.body;
  const auto stats = mixed.json().at("stats");
  EXPECT_EQ(stats.at("messages_failed").as_int64(), 3);
  EXPECT_EQ(stats.at("messages_processed").as_int64(), 1);
  EXPECT_EQ(stats.at("error_details").as_array().size(), 3u);
  EXPECT_FALSE(mixed.json().at("success").as_bool());
}

TEST_F(ServerData, prompts_and_ai_settings_crud) {
  for (const std::string base : {"/api/v1/prompts", "/api/v1/ai-settings"}) {
    const bool prompts = base.ends_with("prompts");
    json::object body{{"name", "Review"}, {"description", "d"}};
    if (prompts)
      body["content"] = "Review {{input}}", body["tags"] = json::array{"a"};
    else
      body["model"] = "claude-opus-4-6", body["temperature"] = 0.5;
    const auto made = post(base, body);
    ASSERT_EQ(made.status, 201) << made.body;
    const auto id = std::string(made.json().at("_id").as_string());
    EXPECT_EQ(made.json().at("name").as_string(), "Review");
    EXPECT_EQ(get(base + "/" + id).json().at("description").as_string(), "d");

    const auto updated = put(base + "/" + id, json::object{{"name", "Review 2"}});
    ASSERT_EQ(updated.status, 200) << updated.body;
    EXPECT_EQ(updated.json().at("name").as_string(), "Review 2");
    EXPECT_EQ(updated.json().at("description").as_string(), "d") << "fields not sent stay";
    EXPECT_EQ(get(base).json().at("pagination").at("total_items").as_int64(), 1);

    const auto wrong = post(
        base,
        json::object{{"name", 5}, {"temperature", prompts ? json::value(1) : json::value(9)}, {"unknown_field", true}});
    expect_error(wrong, 400, "VALIDATION_FAILED");
    EXPECT_GE(bad_fields(wrong).size(), 2u);
    expect_error(put(base + "/" + id, json::object{{"_id", "other"}}), 400, "VALIDATION_FAILED");

    const auto bob = make_user(prompts ? "bob" : "carol");
    expect_error(get(base + "/" + id, bob), 404, "NOT_FOUND");
    expect_error(put(base + "/" + id, json::object{{"name", "mine"}}, bob), 404, "NOT_FOUND");
    expect_error(call("DELETE", base + "/" + id, bob), 404, "NOT_FOUND");
    EXPECT_TRUE(get(base, bob).json().at("items").as_array().empty());

    ASSERT_EQ(call("DELETE", base + "/" + id).status, 200);
    expect_error(get(base + "/" + id), 404, "NOT_FOUND");
  }
}

}  // namespace
}  // namespace claudelens::testing
