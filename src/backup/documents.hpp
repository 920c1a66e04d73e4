// The documents inside a backup archive: one JSON object per line, its collection in "_c". This is the
// one place that encodes store rows as archive documents and decodes them back (the restore engine uses
// the decoders), so the two directions cannot drift. docs/archive-format.md §Documents lists the shapes.
//
// A transcript entry keeps its original line verbatim as the value of "d", the last member, so the
// restore gives back the exact bytes that were ingested. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "store/store.hpp"

namespace claudelens::backup {

/// Collection names used in "_c" and as section collections.
inline constexpr std::string_view k_users = "users";
inline constexpr std::string_view k_projects = "projects";
inline constexpr std::string_view k_sessions = "sessions";
inline constexpr std::string_view k_entries = "entries";  ///< section collection; documents are below
inline constexpr std::string_view k_messages = "messages";
inline constexpr std::string_view k_records = "records";
inline constexpr std::string_view k_audit = "audit_log";  ///< the audit log (admins' full backups)
/// Incremental backups: deletions since the parent. Section key ("tombstones", owner, project, session)
/// for one session's deleted entries; ("tombstones", "", "", "") for deleted sessions, projects and
/// documents.
inline constexpr std::string_view k_tombstones = "tombstones";

/// Appends one document (no newline) to `out`.
void encode_user(const store::User& u, std::string& out);
void encode_project(const store::Project& p, std::string& out);
/// `message_count`/`records_count` are what the archive holds for the session (a date range can select
/// part of it); the other figures are the store's.
void encode_session(const store::Session& s, std::int64_t message_count, std::int64_t records_count, std::string& out);
void encode_entry(const store::Entry& e, std::string& out);
/// An entry document is head + the entry's JSON + "}": the head alone, for writers that append the
/// pieces without joining them.
void encode_entry_head(const store::Entry& e, std::string& out);
/// The head in two parts: `{"_c":"messages","s":SESSION,"k":` (or "records"), the same for every
/// entry of a session (made once per session), then the key and `,"d":`.
void encode_entry_prefix(bool has_uuid, std::string_view session_id, std::string& out);
void encode_entry_key(std::string_view key, std::string& out);
inline constexpr std::string_view k_entry_tail = "}";
void encode_document(store::Collection c, const store::Document& d, std::string& out);
/// An audit line: `_id`, `at`, `user_id`, `action`, `target_type`, `target_id`, `details` (an object).
void encode_audit(const store::AuditEvent& e, std::string& out);
/// {"_c":"tombstones","kind":K,"id":ID,"s":SESSION,"project_id":P,"owner_id":O}; kind and id as in
/// store::Tombstone ("entry" with the entry's key as id, "session", "project", or a collection name).
void encode_tombstone(const store::Tombstone& t, std::string& out);
Result<store::Tombstone> decode_tombstone(std::string_view doc);

/// The collection of a document ("_c"), without parsing the rest. corrupted when absent.
Result<std::string_view> document_collection(std::string_view doc);

Result<store::User> decode_user(std::string_view doc);
Result<store::Project> decode_project(std::string_view doc);
Result<store::Session> decode_session(std::string_view doc);

/// An entry as archived: its session, key and the original line (a view into `doc`).
struct ArchivedEntry {
  bool has_uuid = false;
  std::string session_id;
  std::string key;
  std::string_view line;
};
/// How much of the line decode_entry checks.
enum class LineCheck {
  /// The line is exactly one JSON value that ends where the document does (what the encoder writes);
  /// otherwise the document is read by its members.
  whole,
  /// For a caller that parses the line as exactly one JSON object right after (a restore): the
  /// encoder's shape is taken on its prefix and its last byte, without walking the line. When that
  /// parse fails, the caller must decode again with `whole` (the line may end before the last '}').
  parsed_by_caller,
};
Result<ArchivedEntry> decode_entry(std::string_view doc, LineCheck check = LineCheck::whole);

struct ArchivedDocument {
  store::Collection collection = store::Collection::prompts;
  store::Document document;
};
Result<ArchivedDocument> decode_document(std::string_view doc);
Result<store::AuditEvent> decode_audit(std::string_view doc);

}  // namespace claudelens::backup
