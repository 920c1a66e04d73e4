#include <gtest/gtest.h>

#include <string>

#include "ingest/line_parser.hpp"
#include "ingest/pricing.hpp"

namespace claudelens::ingest {
namespace {

ParsedLine must_parse(LineParser& p, std::string_view line) {
  auto r = p.parse(line);
  EXPECT_TRUE(r) << (r ? "" : r.error().message) << " for " << line;
  return r ? std::move(r).value() : ParsedLine{};
}

TEST(LineParser, user_message_fields) {
  LineParser p;
  const std::string line =
      R"({"parentUuid":null,"isSidechain":false,"userType":"external","cwd":"/home/u/app","sessionId":"s-1",)"
      R"("version":"1.0.17","type":"user","message":{"role":"user","content":"hi → ⏺ 日本"},)"
      R"("uuid":"u-1","timestamp":"2025-06-14T12:34:56.789Z"})";
  const ParsedLine l = must_parse(p, line);
  EXPECT_EQ(l.entry.key, "u-1");
  EXPECT_TRUE(l.entry.has_uuid);
  EXPECT_EQ(l.entry.type, "user");
  EXPECT_EQ(l.entry.session_id, "s-1");
  EXPECT_EQ(l.entry.cwd, "/home/u/app");
  EXPECT_EQ(l.entry.timestamp, 1749904496789);
  EXPECT_EQ(l.entry.message_id, "");
  EXPECT_EQ(l.entry.json, line);  // byte for byte
}

TEST(LineParser, assistant_usage_and_cost) {
  LineParser p;
  const ParsedLine l = must_parse(
      p, R"({"type":"assistant","uuid":"a-1","sessionId":"s","timestamp":"2025-10-01T00:00:00Z","requestId":"req_1",)"
         R"("message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",)"
         R"("content":[{"type":"text","text":"ok"}],"stop_reason":null,"usage":{"input_tokens":1000000,)"
         R"("output_tokens":1000000,"cache_creation_input_tokens":1000000,"cache_read_input_tokens":1000000,)"
         R"("service_tier":"standard"}}})");
  EXPECT_EQ(l.entry.message_id, "msg_1");
  EXPECT_EQ(l.entry.usage.input_tokens, 1000000);
  EXPECT_EQ(l.entry.usage.output_tokens, 1000000);
  EXPECT_EQ(l.entry.usage.cache_creation_tokens, 1000000);
  EXPECT_EQ(l.entry.usage.cache_read_tokens, 1000000);
  EXPECT_NEAR(l.entry.usage.cost_usd, 3 + 15 + 3.75 + 0.30, 1e-9);
}

TEST(LineParser, one_hour_cache_writes_cost_twice_the_input_price) {
  LineParser p;
  const ParsedLine l = must_parse(
      p, R"({"type":"assistant","uuid":"a","message":{"id":"m","model":"claude-opus-4-5-20251101","usage":)"
         R"({"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":2000000,"cache_read_input_tokens":0,)"
         R"("cache_creation":{"ephemeral_5m_input_tokens":1000000,"ephemeral_1h_input_tokens":1000000}}}})");
  EXPECT_NEAR(l.entry.usage.cost_usd, 6.25 + 10, 1e-9);
}

TEST(LineParser, unknown_model_counts_tokens_at_zero_cost) {
  LineParser p;
  const ParsedLine l = must_parse(
      p, R"({"type":"assistant","uuid":"a","message":{"id":"m","model":"<synthetic>","usage":{"input_tokens":7,)"
         R"("output_tokens":9}}})");
  EXPECT_EQ(l.entry.usage.input_tokens, 7);
  EXPECT_EQ(l.entry.usage.output_tokens, 9);
  EXPECT_EQ(l.entry.usage.cost_usd, 0);
}

TEST(LineParser, price_table_prefers_the_longest_prefix) {
  EXPECT_EQ(find_price("claude-opus-4-5-20251101")->input, 5);
  EXPECT_EQ(find_price("claude-opus-4-1-20250805")->input, 15);
  EXPECT_EQ(find_price("claude-haiku-4-5-20251001")->output, 5);
  EXPECT_DOUBLE_EQ(find_price("claude-sonnet-4-20250514")->cache_read, 0.3);
  EXPECT_FALSE(find_price("gpt-4"));
}

TEST(LineParser, summary_record_has_no_uuid_and_gives_text_and_leaf) {
  LineParser p;
  const ParsedLine l = must_parse(p, R"({"type":"summary","summary":"Fix the login bug","leafUuid":"leaf-1"})");
  EXPECT_FALSE(l.entry.has_uuid);
  EXPECT_EQ(l.entry.key, "");
  EXPECT_EQ(l.entry.type, "summary");
  EXPECT_EQ(l.entry.session_id, "");
  EXPECT_EQ(l.summary, "Fix the login bug");
  EXPECT_EQ(l.leaf_uuid, "leaf-1");
  EXPECT_FALSE(l.entry.timestamp);
}

TEST(LineParser, every_record_type_of_format_md) {
  LineParser p;
  struct Case {
    const char* line;
    const char* type;
    bool has_uuid;
  };
  const Case cases[] = {
      {R"({"type":"system","uuid":"x1","subtype":"compact_boundary","parentUuid":null,"logicalParentUuid":"y",)"
       R"("compactMetadata":{"trigger":"auto","preTokens":1},"timestamp":"2026-01-01T00:00:00.000Z","sessionId":"s"})",
       "system", true},
      {R"({"type":"file-history-snapshot","messageId":"m","snapshot":{"messageId":"m","trackedFileBackups":{},)"
       R"("timestamp":"2026-01-01T00:00:00.000Z"},"isSnapshotUpdate":false})",
       "file-history-snapshot", false},
      {R"({"type":"queue-operation","operation":"enqueue","timestamp":"2026-01-01T00:00:00.000Z","sessionId":"s",)"
       R"("content":[{"type":"text","text":"x"}]})",
       "queue-operation", false},
      {R"({"type":"progress","uuid":"x2","data":{"type":"bash_progress","output":"o"},"toolUseID":"t","sessionId":"s"})",
       "progress", true},
      {R"({"type":"attachment","uuid":"x3","attachment":{"type":"hook_success"},"sessionId":"s"})", "attachment", true},
      {R"({"type":"permission-mode","permissionMode":"default","sessionId":"s"})", "permission-mode", false},
      {R"({"type":"last-prompt","lastPrompt":"do it","sessionId":"s"})", "last-prompt", false},
      {R"({"type":"ai-title","aiTitle":"T","sessionId":"s"})", "ai-title", false},
      {R"({"type":"something-new-2027","uuid":"x4","whatever":[1,2,{"a":null}]})", "something-new-2027", true},
      {R"({"no_type_at_all":true})", "", false},
  };
  for (const Case& c : cases) {
    const ParsedLine l = must_parse(p, c.line);
    EXPECT_EQ(l.entry.type, c.type) << c.line;
    EXPECT_EQ(l.entry.has_uuid, c.has_uuid) << c.line;
    EXPECT_EQ(l.entry.json, c.line);
  }
}

TEST(LineParser, file_history_snapshot_timestamp_is_not_top_level) {
  LineParser p;
  const ParsedLine l =
      must_parse(p, R"({"type":"file-history-snapshot","snapshot":{"timestamp":"2026-01-01T00:00:00.000Z"}})");
  EXPECT_FALSE(l.entry.timestamp);
}

TEST(LineParser, non_string_or_empty_uuid_is_no_uuid) {
  LineParser p;
  EXPECT_FALSE(must_parse(p, R"({"type":"user","uuid":null})").entry.has_uuid);
  EXPECT_FALSE(must_parse(p, R"({"type":"user","uuid":""})").entry.has_uuid);
  EXPECT_FALSE(must_parse(p, R"({"type":"user","uuid":42})").entry.has_uuid);
}

TEST(LineParser, rejects_bad_json_truncated_lines_and_non_objects) {
  LineParser p;
  const std::string good = R"({"type":"user","uuid":"u","message":{"content":"abc"}})";
  for (std::string_view bad :
       {std::string_view(good).substr(0, good.size() - 1), std::string_view(good).substr(0, 20), std::string_view("{"),
        std::string_view("{\"a\":1,}"), std::string_view("{\"a\":1} {\"b\":2}"), std::string_view("{\"a\":\"\xff}"),
        std::string_view("[1]"), std::string_view("42"), std::string_view("\"text\""), std::string_view("null"),
        std::string_view("")}) {
    auto r = p.parse(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::malformed_input);
    EXPECT_FALSE(r.error().message.empty());
  }
  EXPECT_TRUE(p.parse(good));  // the parser recovers after errors
}

TEST(LineParser, bad_timestamp_is_kept_without_a_time) {
  LineParser p;
  const ParsedLine l = must_parse(p, R"({"type":"user","uuid":"u","timestamp":"yesterday"})");
  EXPECT_TRUE(l.entry.has_uuid);
  EXPECT_FALSE(l.entry.timestamp);
}

TEST(LineParser, parses_a_one_megabyte_line) {
  LineParser p;
  const std::string data(1 << 20, 'A');
  const std::string line = R"({"type":"user","uuid":"img","message":{"content":[{"type":"image","source":)"
                           R"({"type":"base64","media_type":"image/png","data":")" +
                           data + "\"}}]}}";
  const ParsedLine l = must_parse(p, line);
  EXPECT_EQ(l.entry.key, "img");
  EXPECT_EQ(l.entry.json.size(), line.size());
}

TEST(LineParser, in_place_parse_with_padding_matches_copying_parse) {
  LineParser p;
  std::string buf = R"({"type":"user","uuid":"u1"})";
  const std::size_t n = buf.size();
  buf += "\n";
  buf.append(LineParser::padding(), ' ');
  ParsedLine out;
  ASSERT_TRUE(p.parse(std::string_view(buf.data(), n), out, buf.size()));
  EXPECT_EQ(out.entry.key, "u1");
  EXPECT_EQ(out.entry.json.size(), n);
}

TEST(LineParser, content_keys_are_hash_plus_occurrence) {
  const std::string a = content_key(R"({"type":"summary","summary":"x"})", 1);
  EXPECT_EQ(a.size(), 1 + 32 + 2);
  EXPECT_EQ(a.front(), '~');
  EXPECT_TRUE(a.ends_with(":1"));
  EXPECT_EQ(content_key(R"({"type":"summary","summary":"x"})", 2).substr(0, 33), a.substr(0, 33));
  EXPECT_NE(content_key(R"({"type":"summary","summary":"y"})", 1), a);
}

TEST(LineParser, bytes_that_are_not_utf8_keep_the_line_verbatim) {
  const std::string line =
      "{\"type\":\"user\",\"uuid\":\"u1\",\"sessionId\":\"s1\",\"cwd\":\"/w/caf\xe9\","
      "\"timestamp\":\"2025-06-14T12:00:00.093Z\",\"message\":{\"content\":\"na\xefve\"}}";
  LineParser p;
  auto r = p.parse(line);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->entry.json, line);  // nothing altered
  EXPECT_EQ(r->entry.key, "u1");
  EXPECT_EQ(r->entry.session_id, "s1");
  EXPECT_EQ(r->entry.cwd, "/w/caf%E9");  // fields are read from the escaped form
  EXPECT_EQ(r->entry.timestamp, parse_iso8601("2025-06-14T12:00:00.093Z"));
  // Still rejected: bad JSON, whatever its bytes.
  EXPECT_FALSE(p.parse("{\"type\":\"user\xe9\""));
}

}  // namespace
}  // namespace claudelens::ingest
