// The streaming multipart parser: the same parts whatever the chunk boundaries, bounded buffering,
// and a clear error for each kind of malformed body.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http/multipart.hpp"

namespace claudelens::http {
namespace {

struct Part {
  PartInfo info;
  std::string data;
  bool ended = false;
};

/// Records what the parser hands over; can refuse a part's data past a size.
class Recorder : public MultipartHandler {
 public:
  std::vector<Part> parts;
  std::size_t largest_call = 0;
  std::size_t limit = SIZE_MAX;

  Status on_part_begin(const PartInfo& part) override {
    parts.push_back({part, "", false});
    return {};
  }
  Status on_part_data(std::string_view bytes) override {
    largest_call = std::max(largest_call, bytes.size());
    parts.back().data.append(bytes);
    if (parts.back().data.size() > limit) return fail(Errc::too_large, "field too large");
    return {};
  }
  Status on_part_end() override {
    parts.back().ended = true;
    return {};
  }
};

const std::string k_boundary = "----cl-boundary-7MA4YWxkTrZu0gW";

std::string body_of(const std::vector<std::pair<std::string, std::string>>& fields, const std::string& file) {
  std::string b = "--" + k_boundary + "\r\n";
  for (const auto& [name, value] : fields) {
    b += "Content-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n--" + k_boundary + "\r\n";
  }
  b += "Content-Disposition: form-data; name=\"file\"; filename=\"x.claudelens\"\r\n"
       "Content-Type: application/octet-stream\r\n\r\n";
  b += file;
  b += "\r\n--" + k_boundary + "--\r\n";
  return b;
}

/// A file body that contains near-misses of the delimiter: CRLF, "--", and the boundary without CRLF.
std::string tricky_file() {
  std::string f;
  for (int i = 0; i < 300; ++i) {
    f += static_cast<char>(i * 37);
    if (i % 50 == 0) f += "\r\n--";
    if (i % 70 == 0) f += "--" + k_boundary;
    if (i % 90 == 0) f += "\r\n--" + k_boundary.substr(0, 10);
  }
  f += "\r\n";  // a CRLF right before the delimiter belongs to the data
  return f;
}

Status parse_in_chunks(const std::string& body, std::size_t chunk, Recorder& rec, MultipartLimits limits = {}) {
  MultipartParser parser(k_boundary, rec, limits);
  for (std::size_t i = 0; i < body.size(); i += chunk) CL_CHECK(parser.feed(std::string_view(body).substr(i, chunk)));
  return parser.finish();
}

TEST(Multipart, boundary_from_content_type) {
  EXPECT_EQ(*multipart_boundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(*multipart_boundary("Multipart/Form-Data;BOUNDARY=\"a b:c\""), "a b:c");
  EXPECT_EQ(*multipart_boundary("multipart/form-data; charset=utf-8; boundary=x-y"), "x-y");
  EXPECT_FALSE(multipart_boundary("application/json"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary="));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'a')));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=a; boundary=b"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=\"unterminated"));
}

TEST(Multipart, same_parts_for_every_chunk_size) {
  const std::string file = tricky_file();
  const std::string body = body_of({{"auto_restore", "true"}, {"restore_options", "{\"mode\":\"merge\"}"}}, file);
  for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}, std::size_t{41},
                            std::size_t{64}, std::size_t{1000}, body.size()}) {
    Recorder rec;
    ASSERT_TRUE(parse_in_chunks(body, chunk, rec)) << "chunk " << chunk;
    ASSERT_EQ(rec.parts.size(), 3u) << "chunk " << chunk;
    EXPECT_EQ(rec.parts[0].info.name, "auto_restore");
    EXPECT_EQ(rec.parts[0].data, "true");
    EXPECT_EQ(rec.parts[1].data, "{\"mode\":\"merge\"}");
    EXPECT_EQ(rec.parts[2].info.name, "file");
    EXPECT_TRUE(rec.parts[2].info.has_filename);
    EXPECT_EQ(rec.parts[2].info.filename, "x.claudelens");
    EXPECT_EQ(rec.parts[2].info.content_type, "application/octet-stream");
    EXPECT_EQ(rec.parts[2].data, file) << "chunk " << chunk;
    for (const auto& p : rec.parts) EXPECT_TRUE(p.ended);
  }
}

TEST(Multipart, streams_a_large_part_without_holding_it) {
  std::string file(4 << 20, 'x');
  for (std::size_t i = 0; i < file.size(); i += 4093) file[i] = '\r';
  const std::string body = body_of({}, file);
  Recorder rec;
  ASSERT_TRUE(parse_in_chunks(body, 65536, rec));
  ASSERT_EQ(rec.parts.size(), 1u);
  EXPECT_EQ(rec.parts[0].data.size(), file.size());
  EXPECT_TRUE(rec.parts[0].data == file);
  // Each call hands over at most one chunk plus what was held back for a possible delimiter.
  EXPECT_LE(rec.largest_call, 65536u + k_boundary.size() + 4);
}

TEST(Multipart, preamble_and_epilogue_are_ignored) {
  const std::string body = "this is a preamble\r\n" + body_of({}, "abc") + "epilogue bytes --" + k_boundary;
  Recorder rec;
  ASSERT_TRUE(parse_in_chunks(body, 5, rec));
  ASSERT_EQ(rec.parts.size(), 1u);
  EXPECT_EQ(rec.parts[0].data, "abc");
}

TEST(Multipart, missing_end_boundary_is_an_error) {
  std::string body = body_of({}, "abcdef");
  body.resize(body.size() - 4);  // "--\r\n" of the closing delimiter gone
  Recorder rec;
  auto st = parse_in_chunks(body, 3, rec);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::malformed_input);
  EXPECT_NE(st.error().message.find("closing boundary"), std::string::npos);
  // A body cut in the middle of the file part.
  Recorder rec2;
  EXPECT_FALSE(parse_in_chunks(body_of({}, "abcdef").substr(0, 60), 7, rec2));
  // An empty body.
  Recorder rec3;
  EXPECT_FALSE(parse_in_chunks("", 1, rec3));
}

TEST(Multipart, bad_headers_are_errors) {
  const std::string d = "--" + k_boundary + "\r\n";
  const std::string end = "\r\n--" + k_boundary + "--\r\n";
  for (const std::string& headers : {
           std::string("Content-Type: text/plain\r\n\r\n"),                        // no disposition
           std::string("Content-Disposition: attachment; name=\"file\"\r\n\r\n"),  // not form-data
           std::string("Content-Disposition: form-data\r\n\r\n"),                  // no name
           std::string("Content-Disposition: form-data; name=\"a\"; name=\"b\"\r\n\r\n"),
           std::string("Content-Disposition form-data; name=\"a\"\r\n\r\n"),  // no colon
           std::string("Content-Disposition: form-data; name=\"a\r\n\r\n"),   // unterminated quote
           std::string("Content-Disposition: form-data; name=\"a\"\r\nX: a\x01b\r\n\r\n"),
           std::string("\r\n"),  // an empty header block
       }) {
    Recorder rec;
    auto st = parse_in_chunks(d + headers + "data" + end, 4, rec);
    ASSERT_FALSE(st) << headers;
    EXPECT_EQ(st.error().code, Errc::malformed_input) << headers;
  }
}

TEST(Multipart, oversize_headers_preamble_and_part_count_are_errors) {
  MultipartLimits limits;
  limits.max_header_bytes = 100;
  limits.max_parts = 2;
  limits.max_preamble_bytes = 50;
  {
    Recorder rec;
    const std::string body = "--" + k_boundary + "\r\nContent-Disposition: form-data; name=\"" + std::string(200, 'n') +
                             "\"\r\n\r\nx\r\n--" + k_boundary + "--";
    auto st = parse_in_chunks(body, 10, rec, limits);
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message.find("headers are longer"), std::string::npos);
  }
  {  // headers that never end do not grow the buffer without bound
    Recorder rec;
    MultipartParser parser(k_boundary, rec, limits);
    ASSERT_TRUE(parser.feed("--" + k_boundary + "\r\nContent-Disposition: form-data; name=\"a\"\r\n"));
    Status st;
    for (int i = 0; i < 100 && st; ++i) st = parser.feed("X-Filler: " + std::string(20, 'f') + "\r\n");
    EXPECT_FALSE(st);
  }
  {
    Recorder rec;
    auto st = parse_in_chunks(std::string(60, 'p') + "\r\n" + body_of({}, "x"), 9, rec, limits);
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message.find("does not start with its boundary"), std::string::npos);
  }
  {
    Recorder rec;
    auto st = parse_in_chunks(body_of({{"a", "1"}, {"b", "2"}}, "x"), 9, rec, limits);
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message.find("more than 2 parts"), std::string::npos);
  }
}

TEST(Multipart, handler_errors_stop_the_parse) {
  Recorder rec;
  rec.limit = 10;
  auto st = parse_in_chunks(body_of({{"restore_options", std::string(100, 'o')}}, "x"), 8, rec);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::too_large);
  // The parser stays failed.
  Recorder rec2;
  MultipartParser parser(k_boundary, rec2);
  EXPECT_FALSE(parser.feed("garbage\r\n--" + k_boundary + "\r\n\r\n"));
  EXPECT_FALSE(parser.feed("more"));
  EXPECT_FALSE(parser.finish());
}

TEST(Multipart, boundary_line_must_end_with_crlf) {
  Recorder rec;
  auto st = parse_in_chunks(
      "--" + k_boundary + "XYZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--" + k_boundary + "--", 6,
      rec);
  EXPECT_FALSE(st);
  // Transport padding after the boundary is allowed.
  Recorder rec2;
  EXPECT_TRUE(parse_in_chunks(
      "--" + k_boundary + " \t\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--" + k_boundary + "--", 6,
      rec2));
  ASSERT_EQ(rec2.parts.size(), 1u);
  EXPECT_EQ(rec2.parts[0].data, "v");
}

}  // namespace
}  // namespace claudelens::http
