// Sending one notification over the network with libcurl: a signed webhook POST and a plain-text mail
// through SMTP. Each call is one blocking transfer bounded by its timeouts; no redirects, no proxies, no
// other URL than the one given. Errors are values (Errc::io with what failed, secrets never included).
// Thread-safe: every call uses its own curl handle (libcurl is initialised once, on first use).
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace claudelens::notify {

/// Hex of HMAC-SHA256(`key`, `body`) (OpenSSL), lower case, 64 characters.
std::string hmac_sha256_hex(std::string_view key, std::string_view body);

struct TransferLimits {
  std::chrono::milliseconds connect_timeout{10'000};  ///< Default: 10 s.
  std::chrono::milliseconds total_timeout{30'000};    ///< the whole transfer. Default: 30 s.
  /// When set and true, a transfer under way stops within about a second (Errc::cancelled). Must outlive
  /// the call. Default: none.
  const std::atomic<bool>* cancel = nullptr;
};

struct WebhookPost {
  std::string url;          ///< http:// or https://
  std::string event_type;   ///< X-ClaudeLens-Event
  std::string delivery_id;  ///< X-ClaudeLens-Delivery (the outbox row: the same on every retry)
  std::string body;         ///< the JSON body, signed as is
  std::string secret;       ///< "" = no X-ClaudeLens-Signature header
};

/// POSTs the body; success is a 2xx answer. Anything else (no connection, timeout, a redirect, 4xx,
/// 5xx) is Errc::io naming the URL without its user info and the status or curl's reason. `http_status`,
/// when given, receives the answer's status (0 when there was no answer).
Status post_webhook(const WebhookPost& post, const TransferLimits& limits, long* http_status = nullptr);

struct MailMessage {
  std::string smtp_url;                 ///< smtp:// or smtps://, may carry user:password
  std::string username;                 ///< "" = the URL's
  std::string password;                 ///< "" = the URL's
  std::string from;                     ///< the envelope sender (an address)
  std::vector<std::string> recipients;  ///< one RCPT TO each
  std::string text;                     ///< the whole message: headers, blank line, body; CRLF lines
};

/// Sends the message to every recipient in one SMTP session (STARTTLS when the server offers it on
/// smtp://, TLS from the start on smtps://). Errc::io naming the server (without credentials) and the
/// SMTP or curl reason when any step is refused.
Status send_mail(const MailMessage& mail, const TransferLimits& limits);

}  // namespace claudelens::notify
