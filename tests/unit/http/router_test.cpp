// Route matching, path decoding and the refusal of path tricks (router.hpp).
#include <gtest/gtest.h>

#include "http/errors.hpp"
#include "http/router.hpp"

namespace claudelens::http {
namespace {

Router sample_router() {
  Router r;
  const Handler h = [](Request&) { return Response::json(200, nullptr); };
  r.add(Method::get, "/api/v1/backups", h);
  r.add(Method::get, "/api/v1/backups/{id}", h);
  r.add(Method::get, "/api/v1/backups/statistics", h);
  r.add(Method::get, "/api/v1/backups/jobs/{job_id}", h);
  r.add(Method::del, "/api/v1/backups/{id}", h);
  return r;
}

TEST(Router, literal_segments_win_over_parameters) {
  const Router r = sample_router();
  const auto m = r.match(Method::get, "/api/v1/backups/statistics");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/api/v1/backups/statistics");
  EXPECT_TRUE(m.params.empty());
  const auto id = r.match(Method::get, "/api/v1/backups/abc123");
  ASSERT_NE(id.route, nullptr);
  EXPECT_EQ(id.route->pattern, "/api/v1/backups/{id}");
  EXPECT_EQ(id.params.at("id"), "abc123");
}

TEST(Router, parameters_are_percent_decoded_after_splitting) {
  const Router r = sample_router();
  const auto m = r.match(Method::get, "/api/v1/backups/a%20b");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params.at("id"), "a b");
  // An encoded slash stays inside the parameter and is then refused, never routed elsewhere.
  const auto slash = r.match(Method::get, "/api/v1/backups/jobs%2Fx");
  EXPECT_EQ(slash.route, nullptr);
  ASSERT_TRUE(slash.bad_path.has_value());
  EXPECT_EQ(slash.bad_path->status, 400);
}

TEST(Router, path_tricks_are_refused) {
  const Router r = sample_router();
  for (const char* path : {"/api/v1/backups/..", "/api/v1/backups/%2e%2e", "/api/v1/backups/%2E",
                           "/api/v1/backups/a%00b", "/api/v1/backups/..%2F..%2Fetc", "/api/v1/backups/%0a"}) {
    const auto m = r.match(Method::get, path);
    EXPECT_EQ(m.route, nullptr) << path;
    ASSERT_TRUE(m.bad_path.has_value()) << path;
    EXPECT_EQ(m.bad_path->code, "INVALID_REQUEST") << path;
  }
  const auto bad_escape = r.match(Method::get, "/api/v1/backups/%zz");
  ASSERT_TRUE(bad_escape.bad_path.has_value());
  const auto truncated = r.match(Method::get, "/api/v1/backups/%4");
  ASSERT_TRUE(truncated.bad_path.has_value());
}

TEST(Router, unknown_path_and_other_method) {
  const Router r = sample_router();
  const auto none = r.match(Method::get, "/api/v1/nothing");
  EXPECT_EQ(none.route, nullptr);
  EXPECT_FALSE(none.other_method);
  const auto put = r.match(Method::put, "/api/v1/backups/x");
  EXPECT_EQ(put.route, nullptr);
  EXPECT_TRUE(put.other_method);
  EXPECT_EQ(put.allowed, (std::vector<Method>{Method::get, Method::del}));  // the Allow header
  EXPECT_TRUE(r.match(Method::head, "/api/v1/backups/x").other_method);
  // "backups" spelled with an escape is a different path.
  EXPECT_EQ(r.match(Method::get, "/api/v1/%62ackups").route, nullptr);
}

TEST(Router, query_strings_decode) {
  const auto q = parse_query("a=1&b=x+y&c=%2e%2E&d&e=%zz&a=2");
  EXPECT_EQ(q.at("a"), "2");
  EXPECT_EQ(q.at("b"), "x y");
  EXPECT_EQ(q.at("c"), "..");
  EXPECT_EQ(q.at("d"), "");
  EXPECT_EQ(q.at("e"), "%zz");
}

TEST(Errors, every_errc_maps_to_a_status_and_code) {
  EXPECT_EQ(status_for(Errc::not_found).status, 404);
  EXPECT_EQ(status_for(Errc::unauthorized).code, "UNAUTHORIZED");
  EXPECT_EQ(status_for(Errc::too_large).status, 413);
  EXPECT_EQ(status_for(Errc::no_space).code, "INSUFFICIENT_STORAGE");
  EXPECT_EQ(status_for(Errc::incompatible_version).status, 422);
  EXPECT_EQ(api_error(Error(Errc::not_found, "x"), "BACKUP_NOT_FOUND").code, "BACKUP_NOT_FOUND");
  EXPECT_EQ(api_error(Error(Errc::io, "x"), "BACKUP_NOT_FOUND").code, "INTERNAL_ERROR");
}

TEST(Errors, envelope_has_every_field) {
  ApiError e = validation_failed({FieldError{"filters.date_range.start", "bad", "format", "x"}});
  const std::string text = render_envelope(e, "/api/v1/backups", "rid", 0);
  EXPECT_NE(text.find(R"("code":"VALIDATION_FAILED")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("path":"/api/v1/backups")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("request_id":"rid")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("timestamp":"1970-01-01T00:00:00Z")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("field":"filters.date_range.start")"), std::string::npos) << text;
}

}  // namespace
}  // namespace claudelens::http
