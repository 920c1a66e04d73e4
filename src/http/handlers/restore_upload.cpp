// POST /api/v1/restore/upload (API.md): a multipart body streamed through the multipart parser into an
// UploadReceiver (a temporary file, hashed as written), then checked and registered as a backup, and
// restored when `auto_restore` is true. Any failure, and a client that goes away, leaves no file.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <charconv>

#include "core/ids.hpp"
#include "http/backup_requests.hpp"
#include "http/errors.hpp"
#include "http/handlers/backup_access.hpp"
#include "http/multipart.hpp"
#include "http/routes.hpp"
#include "http/upload.hpp"
#include "http/validation.hpp"
#include "jobs/jobs.hpp"
#include "store/audit.hpp"
#include "store/store.hpp"

namespace claudelens::http {

namespace {

namespace json = boost::json;

/// An error of the parser or the receiver as an answer.
ApiError upload_error(const Error& e) {
  if (e.code == Errc::invalid_argument) {  // "field: message"
    const std::size_t colon = e.message.find(": ");
    const std::string field = colon == std::string::npos ? "" : e.message.substr(0, colon);
    return reject(
        {FieldError{field, colon == std::string::npos ? e.message : e.message.substr(colon + 2), "rule", nullptr}});
  }
  if (e.code == Errc::corrupted) return ApiError{400, "INVALID_BACKUP_FILE", e.message, nullptr, {}, {}};
  return api_error(e);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

class UploadSink : public BodySink {
 public:
  UploadSink(Services& services, Caller caller, std::string upload_id, std::unique_ptr<UploadReceiver> receiver,
             const std::string& boundary)
      : m_services(services),
        m_caller(std::move(caller)),
        m_upload_id(std::move(upload_id)),
        m_receiver(std::move(receiver)),
        m_parser(boundary, *m_receiver) {}

  std::optional<ApiError> write(std::string_view chunk) override {
    auto st = m_parser.feed(chunk);
    if (!st) {
      m_receiver->discard();  // now, not when the server gets round to destroying the sink
      return upload_error(st.error());
    }
    return std::nullopt;
  }

  Response finish() override {
    Response answer = complete();
    if (answer.status >= 300) m_receiver->discard();
    return answer;
  }

 private:
  Response complete() {
    if (auto st = m_parser.finish(); !st) return upload_error(st.error());
    std::vector<FieldError> errors;
    if (!m_receiver->has_file())
      errors.push_back(FieldError{"file", "is required: the backup archive as a form file field", "required", nullptr});
    bool auto_restore = false;
    if (const auto& text = m_receiver->auto_restore()) {
      const std::string_view v = trim(*text);
      if (v == "true" || v == "false")
        auto_restore = v == "true";
      else
        errors.push_back(FieldError{"auto_restore", "must be true or false", "type", json::value(*text)});
    }
    std::optional<restore::RestoreOptions> options;
    if (const auto& text = m_receiver->restore_options()) {
      auto parsed = parse_upload_restore_options(*text);
      if (!parsed) {
        for (auto& e : parsed.error.validation_errors) errors.push_back(std::move(e));
      } else if (!auto_restore) {
        errors.push_back(FieldError{"restore_options", "is used only with auto_restore: true", "rule", nullptr});
      } else {
        options = std::move(*parsed.value);
      }
    }
    if (!errors.empty()) return reject(std::move(errors));

    const TimeMs now = m_services.clock->now_ms();
    const Uploader uploader{m_caller.user_id, m_caller.user_name, m_caller.is_admin()};
    auto check = register_upload(*m_services.store, m_services.backup_dir, *m_receiver, m_upload_id, uploader, now,
                                 m_services.passphrase);
    if (!check) return upload_error(check.error());
    const backup::BackupMetadata& m = check->metadata;
    (void)store::record_audit(*m_services.store,
                              store::audit_event(m_caller.user_id, "backup.uploaded", "backup", m.id,
                                                 {{"filename", m_receiver->file_part().filename},
                                                  {"size_bytes", m_receiver->file_size()},
                                                  {"auto_restore", auto_restore}}),
                              now);
    json::array warnings;
    for (const auto& w : check->warnings) warnings.emplace_back(w);

    json::value restore_job_id = nullptr;
    if (auto_restore) {
      restore::RestoreOptions o = options.value_or(restore::RestoreOptions{});
      o.restored_by = m_caller.user_id;
      o.backup_id = m.id;
      o.archive_backup_id = backup::archive_id_of(m);
      o.expected_sha256 = m.checksum;
      auto job = m_services.jobs->submit_restore(jobs::RestoreRequest{m.id, {}, o}, m_caller.user_id);
      if (job)
        restore_job_id = json::value(job->id);
      else  // the upload stands (it is a valid backup); the restore can be asked for again
        warnings.emplace_back(fmt::format("auto_restore: the restore was not started: {}", job.error().message));
    }
    const json::object& metadata = backup_json(m);
    const std::string mime = m_receiver->file_part().content_type.empty() ? "application/octet-stream"
                                                                          : m_receiver->file_part().content_type;
    json::object answer{{"upload_id", m_upload_id},
                        {"backup_id", m.id},
                        {"status", restore_job_id.is_null() ? "ready" : "restoring"},
                        {"file_info", json::object{{"filename", m_receiver->file_part().filename},
                                                   {"size_bytes", m_receiver->file_size()},
                                                   {"mime_type", mime},
                                                   {"checksum", m_receiver->sha256_hex()}}},
                        {"validation", json::object{{"format_valid", true},
                                                    {"version", metadata.at("version")},
                                                    {"compatibility", "compatible"},
                                                    {"contents_summary", metadata.at("contents")},
                                                    {"errors", json::array()},
                                                    {"warnings", std::move(warnings)}}},
                        {"restore_job_id", restore_job_id}};
    return Response::json(202, answer);
  }

  Services& m_services;
  Caller m_caller;
  std::string m_upload_id;
  std::unique_ptr<UploadReceiver> m_receiver;  ///< removes the temporary file unless registered
  MultipartParser m_parser;
};

StreamStart start_upload(Services& s, Request& req) {
  auto boundary = multipart_boundary(req.header("content-type"));
  if (!boundary) return StreamStart{nullptr, Response(invalid_request(boundary.error().message))};
  const std::string_view length_text = req.header("content-length");
  std::uint64_t length = 0;
  if (!length_text.empty()) {
    std::from_chars(length_text.data(), length_text.data() + length_text.size(), length);
    if (auto full = require_free_space(s.backup_dir, static_cast<std::int64_t>(length)))
      return StreamStart{nullptr, Response(*full)};
  }
  const std::string id = new_id();
  auto receiver = UploadReceiver::create(s.backup_dir, id, UploadLimits{.max_file_bytes = s.max_upload_bytes});
  if (!receiver) return StreamStart{nullptr, Response(api_error(receiver.error()))};
  return StreamStart{std::make_unique<UploadSink>(s, req.who(), id, std::move(*receiver), *boundary), std::nullopt};
}

}  // namespace

void add_restore_upload_route(Router& router, Services& services) {
  if (auto removed = remove_stale_uploads(services.backup_dir); removed && *removed > 0)
    spdlog::warn("removed {} leftover upload file(s) in {}", *removed, services.backup_dir.string());
  Services* s = &services;
  router.add_stream(Method::post, "/api/v1/restore/upload", [s](Request& r) { return start_upload(*s, r); },
                    {.rate = RateClass::upload});
}

}  // namespace claudelens::http
