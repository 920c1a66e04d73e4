// What a notification says: the webhook's JSON body (API.md: the WebSocket event's object plus
// `backup_name`) and the plain-text mail written from the same body. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/time.hpp"

namespace claudelens::notify {

/// The body of an event given as a type and its fields (the sched/retention entry point): `payload`
/// with "type" set to `type` first, and "timestamp" (ISO 8601 of `now`) when the payload has none.
boost::json::object event_body(std::string_view type, const boost::json::object& payload, TimeMs now);

/// The mail's subject for a body: "ClaudeLens: backup "nightly" completed", "ClaudeLens: restore of
/// "nightly" failed", "ClaudeLens: retention deleted 3 backups", "ClaudeLens: backup storage is low",
/// "ClaudeLens: test notification".
std::string mail_subject(const boost::json::object& body);

struct MailHeaders {
  std::string from;                     ///< an address, shown as "ClaudeLens <from>"
  std::vector<std::string> recipients;  ///< the To: line
  std::string message_id;               ///< unique per notification (the outbox id); "<id@claudelens>"
  TimeMs date = 0;                      ///< the Date: line
};

/// The whole RFC 5322 message: headers (From, To, Subject — RFC 2047 encoded when not ASCII — Date,
/// Message-ID, MIME-Version, Content-Type text/plain UTF-8), a blank line, then a sentence saying what
/// happened and one "field: value" line per field of the body (nested fields with dotted names). Lines
/// end in CRLF and are at most 998 characters.
std::string mail_text(const MailHeaders& headers, const boost::json::object& body);

}  // namespace claudelens::notify
