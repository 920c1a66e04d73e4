#include "notify/message.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <boost/json.hpp>
#include <ctime>

#include "notify/settings.hpp"

namespace claudelens::notify {
namespace {

namespace json = boost::json;

/// One line: CR and LF become blanks (no header or line injection from a value).
std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\r' || c == '\n') c = ' ';
  return s;
}

bool is_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

/// RFC 2047 "encoded-word" for a header value that is not ASCII.
std::string header_text(const std::string& s) {
  if (is_ascii(s)) return s;
  std::string b64(4 * ((s.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  b64.resize(static_cast<std::size_t>(n));
  return fmt::format("=?UTF-8?B?{}?=", b64);
}

std::string rfc5322_date(TimeMs t) {
  const std::time_t secs = static_cast<std::time_t>(t / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  static constexpr const char* k_days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* k_months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} +0000", k_days[tm.tm_wday], tm.tm_mday, k_months[tm.tm_mon],
                     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/// "field: value" lines for every scalar of `v`, nested names dotted.
void field_lines(const json::value& v, const std::string& name, std::vector<std::string>& out) {
  if (v.is_object()) {
    for (const auto& kv : v.as_object())
      field_lines(kv.value(), name.empty() ? std::string(kv.key()) : name + "." + std::string(kv.key()), out);
    return;
  }
  const std::string text = v.is_string() ? std::string(v.as_string()) : json::serialize(v);
  out.push_back(fmt::format("{}: {}", name, one_line(text)));
}

/// Appends `line` with CRLF, cut into pieces of at most 998 characters (RFC 5322's limit).
void add_line(std::string& out, std::string_view line) {
  constexpr std::size_t k_max = 998;
  do {
    out += line.substr(0, k_max);
    out += "\r\n";
    line.remove_prefix(std::min(k_max, line.size()));
  } while (!line.empty());
}

std::string summary(const json::object& body) {
  const std::string type = string_field(body, "type");
  const std::string name = string_field(body, "backup_name");
  const std::string quoted = name.empty() ? std::string() : fmt::format(" \"{}\"", name);
  if (type == "backup.completed") return fmt::format("backup{} completed", quoted);
  if (type == "backup.failed") return fmt::format("backup{} failed", quoted);
  if (type == "restore.completed") return fmt::format("restore{} completed", name.empty() ? "" : " of" + quoted);
  if (type == "restore.failed") return fmt::format("restore{} failed", name.empty() ? "" : " of" + quoted);
  if (type == "retention.deleted") {
    const auto* deleted = body.if_contains("deleted");
    if (deleted && deleted->is_array())
      return fmt::format("retention deleted {} backup{}", deleted->as_array().size(),
                         deleted->as_array().size() == 1 ? "" : "s");
    return "retention deleted backups";
  }
  if (type == "storage.low") return "backup storage is low";
  if (type == "test") return "test notification";
  if (type == "test") return "test notification";
  return type;
}

}  // namespace

json::object event_body(std::string_view type, const json::object& payload, TimeMs now) {
  json::object body{{"type", type}};
  for (const auto& kv : payload)
    if (kv.key() != "type") body[kv.key()] = kv.value();
  if (!body.contains("timestamp")) body["timestamp"] = format_iso8601(now);
  return body;
}

std::string mail_subject(const json::object& body) {
  return one_line("ClaudeLens: " + summary(body));
}

std::string mail_text(const MailHeaders& headers, const json::object& body) {
  std::string out;
  add_line(out, fmt::format("From: ClaudeLens <{}>", headers.from));
  add_line(out, fmt::format("To: {}", fmt::join(headers.recipients, ", ")));
  add_line(out, fmt::format("Subject: {}", header_text(mail_subject(body))));
  add_line(out, fmt::format("Date: {}", rfc5322_date(headers.date)));
  add_line(out, fmt::format("Message-ID: <{}@claudelens>", headers.message_id));
  add_line(out, "MIME-Version: 1.0");
  add_line(out, "Content-Type: text/plain; charset=utf-8");
  add_line(out, "Content-Transfer-Encoding: 8bit");
  add_line(out, "");
  std::string sentence = summary(body);
  if (!sentence.empty()) sentence[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(sentence[0])));
  add_line(out, one_line("ClaudeLens: " + sentence + "."));
  add_line(out, "");
  std::vector<std::string> lines;
  field_lines(body, "", lines);
  for (const auto& line : lines) add_line(out, line);
  add_line(out, "");
  add_line(out, "-- ");
  add_line(out, "Sent by claudelens serve (notifications in the backup settings).");
  return out;
}

}  // namespace claudelens::notify
