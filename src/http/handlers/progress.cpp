// WebSockets /ws/backups/{job_id} and /ws/restore/{job_id} (API.md "Live progress"): the job's current
// state first, then progress at most once a second, then one final event, as JSON objects whose `type`
// names the event. Only for jobs the caller may see, of the kind the path names; others answer 404
// JOB_NOT_FOUND before the upgrade, so that ids don't leak.
#include <boost/json.hpp>

#include "http/errors.hpp"
#include "http/handlers/common.hpp"
#include "http/routes.hpp"
#include "jobs/jobs.hpp"

namespace claudelens::http {
namespace {

namespace json = boost::json;

std::string api_code(Errc e) {
  return std::string(status_for(e).code);
}

/// Feeds a job Subscription's events to the socket.
class JobFeed final : public WsFeed {
 public:
  explicit JobFeed(std::unique_ptr<jobs::Subscription> sub) : m_sub(std::move(sub)) {}
  Batch poll() override {
    Batch b;
    while (auto event = m_sub->try_next()) b.messages.push_back(json::serialize(jobs::event_json(*event, api_code)));
    b.done = m_sub->finished();
    return b;
  }

 private:
  std::unique_ptr<jobs::Subscription> m_sub;
};

WsStart watch(Services& s, jobs::JobType type, Request& req) {
  const std::string& id = req.param("job_id");
  const ApiError unknown = not_found("JOB_NOT_FOUND", "no job with id '" + id + "'");
  if (!s.jobs) return WsStart{nullptr, ApiError{503, "SERVICE_UNAVAILABLE", "jobs are not running", nullptr, {}, {}}};
  auto job = s.jobs->get(id);
  if (!job) return WsStart{nullptr, api_error(job.error(), "JOB_NOT_FOUND")};
  if (!*job || (*job)->type != type || !req.who().may_see((*job)->owner_id)) return WsStart{nullptr, unknown};
  auto sub = s.jobs->subscribe(id);
  if (!sub) return WsStart{nullptr, api_error(sub.error(), "JOB_NOT_FOUND")};
  return WsStart{std::make_unique<JobFeed>(std::move(*sub)), std::nullopt};
}

}  // namespace

void add_progress_routes(Router& router, Services& services) {
  router.add_websocket("/ws/backups/{job_id}",
                       [&services](Request& req) { return watch(services, jobs::JobType::backup, req); });
  router.add_websocket("/ws/restore/{job_id}",
                       [&services](Request& req) { return watch(services, jobs::JobType::restore, req); });
}

}  // namespace claudelens::http
