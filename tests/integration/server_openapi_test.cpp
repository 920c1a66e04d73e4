// openapi.json against the route table: every registered route is documented and every documented
// operation is registered (so the two cannot drift); the served document is the same; and, when
// tools/openapi-lint has its npm packages installed (npm ci there), Redocly lints it with no errors.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <set>

#include "http/routes.hpp"
#include "integration/run_cli.hpp"
#include "integration/server_fixture.hpp"
#include "integration/transcripts.hpp"

namespace claudelens::testing {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

std::string lower_method(http::Method m) {
  std::string s(http::method_name(m));
  for (char& c : s) c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::set<std::string> registered_operations() {
  http::Router router;
  http::Services services;  // registration does not touch the store
  http::register_routes(router, services);
  std::set<std::string> out;
  for (const auto& r : router.routes()) out.insert(lower_method(r.method) + " " + r.pattern);
  return out;
}

std::set<std::string> documented_operations(const json::value& doc) {
  std::set<std::string> out;
  for (const auto& [path, item] : doc.at("paths").as_object())
    for (const auto& [method, op] : item.as_object()) out.insert(std::string(method) + " " + std::string(path));
  return out;
}

const fs::path k_document = fs::path(CLAUDELENS_SOURCE_DIR) / "src/http/openapi.json";

TEST(ServerOpenApi, every_route_is_documented_and_every_documented_operation_is_a_route) {
  const auto doc = json::parse(read_file(k_document));
  const auto routes = registered_operations();
  const auto documented = documented_operations(doc);
  for (const auto& r : routes) EXPECT_TRUE(documented.contains(r)) << r << " is served but not in openapi.json";
  for (const auto& d : documented) EXPECT_TRUE(routes.contains(d)) << d << " is in openapi.json but not served";
  EXPECT_GE(routes.size(), 20u);
}

TEST(ServerOpenApi, operations_declare_their_path_parameters_and_error_envelope) {
  const auto doc = json::parse(read_file(k_document));
  std::set<std::string> ids;
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      const auto& o = op.as_object();
      ASSERT_TRUE(o.contains("operationId")) << method << " " << path;
      EXPECT_TRUE(ids.insert(std::string(o.at("operationId").as_string())).second) << "duplicate operationId";
      std::string p(path);
      for (auto at = p.find('{'); at != std::string::npos; at = p.find('{', at + 1)) {
        const auto name = p.substr(at + 1, p.find('}', at) - at - 1);
        bool declared = false;
        for (const auto& param : o.at("parameters").as_array())
          declared |= param.at("in") == "path" && param.at("name") == json::value(json::string(name));
        EXPECT_TRUE(declared) << method << " " << path << " lacks {" << name << "}";
      }
      // Routes that need a key document 401.
      const bool open = o.contains("security") && o.at("security").as_array().empty();
      EXPECT_EQ(o.at("responses").as_object().contains("401"), !open) << method << " " << path;
    }
  }
}

class ServedOpenApi : public ServerTest {};

TEST_F(ServedOpenApi, the_server_serves_the_document_in_the_source_tree) {
  const auto served = http_request(port(), "GET", "/api/v1/openapi.json");
  ASSERT_EQ(served.status, 200);
  EXPECT_EQ(served.header("content-type"), "application/json");
  EXPECT_EQ(served.json(), json::parse(read_file(k_document)));
}

TEST(ServerOpenApi, redocly_lint_finds_no_errors) {
  const fs::path tool = fs::path(CLAUDELENS_SOURCE_DIR) / "tools/openapi-lint/node_modules/.bin/redocly";
  if (!fs::exists(tool)) GTEST_SKIP() << "run `npm ci` in tools/openapi-lint to lint the document";
  const auto r = run_program("/usr/bin/env", {"node", tool.string(), "lint", k_document.string(), "--format=stylish"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find(" error "), std::string::npos) << r.out;
}

}  // namespace
}  // namespace claudelens::testing
