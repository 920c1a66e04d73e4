#include "notify/transport.hpp"

#include <curl/curl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>
#include <memory>
#include <mutex>

#include "notify/settings.hpp"

namespace claudelens::notify {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistFree>;

void append(Slist& list, const std::string& line) {
  curl_slist* grown = curl_slist_append(list.get(), line.c_str());
  if (grown) {
    (void)list.release();
    list.reset(grown);
  }
}

/// CURLOPT_XFERINFOFUNCTION (called about once a second, and more often while data moves).
int abort_when_cancelled(void* flag, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(flag)->load() ? 1 : 0;
}

/// A curl easy handle with what both transfers share: timeouts, no signals, no proxy, no redirects,
/// only `protocols`, errors in `error_buffer`.
class Easy {
 public:
  Easy(const std::string& url, const char* protocols, const TransferLimits& limits) : m_handle(curl_easy_init()) {
    if (!m_handle) return;
    m_error[0] = '\0';
    curl_easy_setopt(m_handle, CURLOPT_URL, url.c_str());
    curl_easy_setopt(m_handle, CURLOPT_PROTOCOLS_STR, protocols);
    curl_easy_setopt(m_handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(m_handle, CURLOPT_PROXY, "");  // only the configured URL: never an environment proxy
    curl_easy_setopt(m_handle, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(m_handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(limits.connect_timeout.count()));
    curl_easy_setopt(m_handle, CURLOPT_TIMEOUT_MS, static_cast<long>(limits.total_timeout.count()));
    curl_easy_setopt(m_handle, CURLOPT_ERRORBUFFER, m_error);
    if (limits.cancel) {
      curl_easy_setopt(m_handle, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt(m_handle, CURLOPT_XFERINFOFUNCTION, abort_when_cancelled);
      curl_easy_setopt(m_handle, CURLOPT_XFERINFODATA, limits.cancel);
    }
  }
  ~Easy() {
    if (m_handle) curl_easy_cleanup(m_handle);
  }
  Easy(const Easy&) = delete;
  Easy& operator=(const Easy&) = delete;

  CURL* get() const { return m_handle; }
  /// The error of a failed transfer: cancelled when `limits.cancel` stopped it, io otherwise.
  Failure failure(CURLcode code, const std::string& what) const {
    if (code == CURLE_ABORTED_BY_CALLBACK) return fail(Errc::cancelled, fmt::format("{}: stopped", what));
    return fail(Errc::io, fmt::format("{}: {}", what, reason(code)));
  }
  /// curl's reason for `code`: its error buffer when filled, else the code's text.
  std::string reason(CURLcode code) const {
    return m_error[0] ? std::string(m_error) : std::string(curl_easy_strerror(code));
  }

 private:
  CURL* m_handle;
  char m_error[CURL_ERROR_SIZE];
};

/// Discards the answer's body (at most what curl hands over; nothing is kept).
std::size_t discard(char*, std::size_t size, std::size_t n, void*) {
  return size * n;
}

struct Source {
  const std::string* text;
  std::size_t offset = 0;
};

std::size_t read_source(char* buffer, std::size_t size, std::size_t n, void* user) {
  auto* src = static_cast<Source*>(user);
  const std::size_t left = src->text->size() - src->offset;
  const std::size_t take = std::min(left, size * n);
  std::memcpy(buffer, src->text->data() + src->offset, take);
  src->offset += take;
  return take;
}

}  // namespace

std::string hmac_sha256_hex(std::string_view key, std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(body.data()),
       body.size(), digest, &length);
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += k_hex[digest[i] >> 4];
    out += k_hex[digest[i] & 0xf];
  }
  return out;
}

Status post_webhook(const WebhookPost& post, const TransferLimits& limits, long* http_status) {
  global_init();
  if (http_status) *http_status = 0;
  const std::string shown = masked_url(post.url);
  Easy easy(post.url, "http,https", limits);
  if (!easy.get()) return fail(Errc::internal, "cannot create a curl handle");
  Slist headers;
  append(headers, "Content-Type: application/json");
  append(headers, fmt::format("X-ClaudeLens-Event: {}", post.event_type));
  if (!post.delivery_id.empty()) append(headers, fmt::format("X-ClaudeLens-Delivery: {}", post.delivery_id));
  if (!post.secret.empty())
    append(headers, fmt::format("X-ClaudeLens-Signature: sha256={}", hmac_sha256_hex(post.secret, post.body)));
  append(headers, "Expect:");  // send the body at once (no 100-continue round trip)
  curl_easy_setopt(easy.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(easy.get(), CURLOPT_USERAGENT, "ClaudeLens");
  curl_easy_setopt(easy.get(), CURLOPT_POST, 1L);
  curl_easy_setopt(easy.get(), CURLOPT_POSTFIELDS, post.body.data());
  curl_easy_setopt(easy.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post.body.size()));
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, discard);
  const CURLcode rc = curl_easy_perform(easy.get());
  if (rc != CURLE_OK) return easy.failure(rc, fmt::format("webhook {}", shown));
  long status = 0;
  curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &status);
  if (http_status) *http_status = status;
  if (status < 200 || status > 299) return fail(Errc::io, fmt::format("webhook {}: answered HTTP {}", shown, status));
  return {};
}

Status send_mail(const MailMessage& mail, const TransferLimits& limits) {
  global_init();
  const std::string shown = masked_url(mail.smtp_url);
  if (mail.recipients.empty()) return fail(Errc::invalid_argument, "a mail needs at least one recipient");
  Easy easy(mail.smtp_url, "smtp,smtps", limits);
  if (!easy.get()) return fail(Errc::internal, "cannot create a curl handle");
  if (!mail.username.empty()) curl_easy_setopt(easy.get(), CURLOPT_USERNAME, mail.username.c_str());
  if (!mail.password.empty()) curl_easy_setopt(easy.get(), CURLOPT_PASSWORD, mail.password.c_str());
  // STARTTLS when the server offers it; smtps:// is TLS from the first byte anyway.
  curl_easy_setopt(easy.get(), CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
  const std::string from = fmt::format("<{}>", mail.from);
  curl_easy_setopt(easy.get(), CURLOPT_MAIL_FROM, from.c_str());
  Slist rcpt;
  for (const auto& r : mail.recipients) append(rcpt, fmt::format("<{}>", r));
  curl_easy_setopt(easy.get(), CURLOPT_MAIL_RCPT, rcpt.get());
  Source source{&mail.text};
  curl_easy_setopt(easy.get(), CURLOPT_READFUNCTION, read_source);
  curl_easy_setopt(easy.get(), CURLOPT_READDATA, &source);
  curl_easy_setopt(easy.get(), CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(easy.get(), CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(mail.text.size()));
  const CURLcode rc = curl_easy_perform(easy.get());
  if (rc == CURLE_ABORTED_BY_CALLBACK) return easy.failure(rc, fmt::format("mail through {}", shown));
  if (rc != CURLE_OK) {
    long reply = 0;
    curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &reply);
    return fail(Errc::io, reply ? fmt::format("mail through {}: {} (SMTP {})", shown, easy.reason(rc), reply)
                                : fmt::format("mail through {}: {}", shown, easy.reason(rc)));
  }
  return {};
}

}  // namespace claudelens::notify
