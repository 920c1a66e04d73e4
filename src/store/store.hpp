// The Store: every collection ClaudeLens keeps, behind one interface that the rest of the code uses.
// Implementations (store/sqlite/, later store/postgres/) stay private to their .cpp; open_store() picks
// one from a URL. No SQL, no engine types and no engine error codes cross this header.
//
// Concurrency: a Store is thread-safe. Work happens in transactions: read() gives a Reader, a consistent
// snapshot that never sees later commits; write() gives a Writer, the one exclusive write transaction,
// which rolls back unless commit() is called. A Reader or Writer belongs to one thread at a time and must
// not outlive its Store. Reads stream rows to a callback; a callback returning false stops the scan early
// (that is not an error). Strings passed to callbacks are valid only during the call.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"

namespace claudelens::store {

enum class Role { admin, user };
std::string_view role_name(Role r) noexcept;
std::optional<Role> parse_role(std::string_view s) noexcept;

struct User {
  std::string id;
  std::string name;
  Role role = Role::user;
  TimeMs created_at = 0;
};

/// An API key as stored: only the SHA-256 of the key, never the key itself.
struct ApiKey {
  std::string id;
  std::string user_id;
  std::string name;
  std::string key_hash;  ///< hex SHA-256 of the full key
  std::string prefix;    ///< the first characters of the key, to recognise it in lists
  TimeMs created_at = 0;
  std::optional<TimeMs> revoked_at;
  std::optional<TimeMs> last_used_at;
};

/// One Claude Code project folder. Natural key: (owner_id, name), the folder's name; restores match an
/// archived project by `id`, else by (owner_id, name). `path` is not a key: several folders (two users',
/// two machines', two copies') may share a cwd.
struct Project {
  std::string id;
  std::string owner_id;
  std::string name;  ///< the folder's name, e.g. "-Users-dain-workspace-app"
  std::string path;  ///< the cwd most of its records carry ("" until known)
  std::string description;
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
  // Statistics maintained by refresh_project_stats().
  std::int64_t sessions_count = 0;
  std::int64_t messages_count = 0;
  std::int64_t records_count = 0;
};

/// Token and cost totals, deduplicated by assistant message id (one API response spans several lines).
struct Usage {
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t cache_creation_tokens = 0;
  std::int64_t cache_read_tokens = 0;
  double cost_usd = 0;
};

/// One Claude sessionId.
struct Session {
  std::string id;  ///< the Claude `sessionId`
  std::string project_id;
  std::string owner_id;
  std::optional<TimeMs> started_at;  ///< min record timestamp
  std::optional<TimeMs> ended_at;    ///< max record timestamp
  std::int64_t message_count = 0;    ///< entries with a uuid
  std::int64_t records_count = 0;    ///< all entries
  std::int64_t bytes = 0;            ///< sum of its entries' JSON sizes
  std::string summary;               ///< from `summary` records
  Usage usage;
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
};

/// One transcript line: a message (it has a `uuid`) or a record without one (summary, snapshot, ...).
struct Entry {
  std::string session_id;
  /// Natural key within the session: the `uuid` for messages; for records without a uuid
  /// "~" + hex content hash + ":" + the occurrence number among identical lines of the same file.
  std::string key;
  bool has_uuid = false;  ///< true: a message; false: a record without a uuid
  std::string type;       ///< the `type` field, "" when absent
  std::optional<TimeMs> timestamp;
  std::string cwd;         ///< the `cwd` field, "" when absent (feeds the project's path)
  std::string message_id;  ///< assistant `message.id`, "" otherwise (usage is deduplicated on it)
  Usage usage;             ///< this line's `message.usage` (and its cost), zero when absent
  std::string json;        ///< the line exactly as received, without its newline
  // Filled in on reads; ignored on writes (they come from the session).
  std::string owner_id;
  std::string project_id;
  std::int64_t seq = 0;  ///< insertion order, increasing across the whole store
};

/// What a backup writes of an entry (Reader::for_each_entry_line): views into the store's row, valid
/// during the visit only.
struct EntryLine {
  std::string_view key;
  bool has_uuid = false;
  std::optional<TimeMs> timestamp;
  std::string_view json;  ///< the line exactly as received, without its newline
};

/// The other user data: prompts, prompt folders and AI settings. `json` is the whole document.
enum class Collection { prompts, prompt_folders, ai_settings };
std::string_view collection_name(Collection c) noexcept;
std::optional<Collection> parse_collection(std::string_view s) noexcept;

struct Document {
  std::string id;
  std::string owner_id;
  std::string name;
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
  std::string json;
};

/// The backup system's own bookkeeping. `json` holds the full record (e.g. API.md's BackupMetadata);
/// the other fields are indexed copies for listing and claiming.
enum class SystemTable { backups, jobs, restores, settings, schedules };
std::string_view system_table_name(SystemTable t) noexcept;

struct SystemRecord {
  std::string id;
  std::string owner_id;
  std::string kind;    ///< backup type, job type, ...
  std::string status;  ///< pending, in_progress, completed, failed, ...
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
  std::string json;
};

/// One line of the audit log (API.md GET /audit): who did what to which thing, and when. Append-only:
/// no Store call changes or removes a line (a restore adds the lines it lacks, store/audit.hpp).
struct AuditEvent {
  std::string id;
  TimeMs at = 0;
  std::string user_id;         ///< the key's user; "" when no user acted (a schedule)
  std::string action;          ///< one of store/audit.hpp's k_audit_actions, e.g. "backup.created"
  std::string target_type;     ///< "backup", "api_key", "settings"
  std::string target_id;       ///< the thing's id ("backup" for the backup settings)
  std::string details = "{}";  ///< a small JSON object: names, sizes, modes; never a secret
};

/// An audit query: the lines matching every filter given, newest first, one page of them.
struct AuditQuery {
  std::optional<std::string> action;  ///< Default: every action
  std::optional<TimeMs> from;         ///< at >= from. Default: no bound
  std::optional<TimeMs> to;           ///< at < to. Default: no bound
  std::int64_t offset = 0;            ///< lines skipped. Default: 0
  std::int64_t limit = 20;            ///< most lines returned. Default: 20
};

struct AuditPage {
  std::vector<AuditEvent> items;  ///< newest first: by `at`, then by the order they were appended
  std::int64_t total = 0;         ///< lines matching the filters, on every page
};

// ---- Filters -------------------------------------------------------------------------------------

struct ProjectFilter {
  std::optional<std::string> owner_id;  ///< Default: every owner (admins see all).
  std::vector<std::string> ids;         ///< Default: empty = every project.
  /// Only projects written with a change sequence above this (incremental backups). Default: all.
  std::optional<std::int64_t> changed_after;
};

struct SessionFilter {
  std::optional<std::string> owner_id;       ///< Default: every owner.
  std::vector<std::string> project_ids;      ///< Default: empty = every project.
  std::vector<std::string> session_ids;      ///< Default: empty = every session.
  std::optional<std::int64_t> min_messages;  ///< message_count >= this
  std::optional<std::int64_t> max_messages;  ///< message_count <= this
  /// Only sessions whose row changed (created, fields or statistics) with a change sequence above
  /// this (incremental backups). Default: all.
  std::optional<std::int64_t> changed_after;
};

struct EntryFilter {
  std::optional<std::string> session_id;  ///< Default: every session (ordered by session, then seq).
  std::optional<std::string> owner_id;    ///< Default: every owner.
  std::optional<TimeMs> from;             ///< timestamp >= from (entries without a timestamp pass)
  std::optional<TimeMs> to;               ///< timestamp < to (entries without a timestamp pass)
  std::optional<std::int64_t> after_seq;  ///< seq > after_seq
  /// Only entries added or replaced with a change sequence above this (incremental backups). Default: all.
  std::optional<std::int64_t> changed_after;
};

/// A deletion, kept so that an incremental backup can carry it (SPEC §6). `kind` is "entry" (id = the
/// entry's key in `session_id`), "session", "project", or a Collection's name (a document).
struct Tombstone {
  std::int64_t change_seq = 0;
  std::string kind;
  std::string id;
  std::string session_id;  ///< entries and sessions
  std::string project_id;  ///< entries, sessions and projects
  std::string owner_id;
  TimeMs at = 0;
};

struct Counts {
  /// messages, records, entry_bytes and the time range come from the sessions' statistics.
  std::int64_t users = 0, api_keys = 0, projects = 0, sessions = 0, messages = 0, records = 0;
  std::int64_t prompts = 0, prompt_folders = 0, ai_settings = 0;
  std::int64_t entry_bytes = 0;  ///< sum of the entries' JSON sizes (as of the sessions' last stats refresh)
  std::optional<TimeMs> earliest, latest;
};

template <class T>
using Visit = std::function<bool(const T&)>;  ///< return false to stop the scan

// ---- Transactions --------------------------------------------------------------------------------

/// A consistent read snapshot.
class Reader {
 public:
  virtual ~Reader() = default;

  virtual Result<Counts> counts(const std::optional<std::string>& owner_id) = 0;

  virtual Result<std::optional<User>> get_user(const std::string& id) = 0;
  virtual Result<std::optional<User>> find_user_by_name(const std::string& name) = 0;
  virtual Status for_each_user(const Visit<User>& visit) = 0;
  /// The key whose hash is `key_hash` with its user, revoked keys included (the caller checks).
  virtual Result<std::optional<ApiKey>> find_api_key(const std::string& key_hash) = 0;
  virtual Status for_each_api_key(const Visit<ApiKey>& visit) = 0;

  virtual Result<std::optional<Project>> get_project(const std::string& id) = 0;
  virtual Result<std::optional<Project>> find_project_by_name(const std::string& owner_id, const std::string& name) = 0;
  virtual Result<std::optional<Project>> find_project_by_path(const std::string& owner_id, const std::string& path) = 0;
  /// Ordered by name.
  virtual Status for_each_project(const ProjectFilter& filter, const Visit<Project>& visit) = 0;

  virtual Result<std::optional<Session>> get_session(const std::string& id) = 0;
  /// Ordered by project, then started_at, then id.
  virtual Status for_each_session(const SessionFilter& filter, const Visit<Session>& visit) = 0;

  virtual Result<std::optional<Entry>> get_entry(const std::string& session_id, const std::string& key) = 0;
  /// Ordered by session, then seq (the order they were ingested in).
  virtual Status for_each_entry(const EntryFilter& filter, const Visit<Entry>& visit) = 0;
  /// The same rows in the same order, reduced to what a backup writes and read without copying (the
  /// backup's hot path: no string is made per row).
  virtual Status for_each_entry_line(const EntryFilter& filter, const Visit<EntryLine>& visit) = 0;

  virtual Result<std::optional<Document>> get_document(Collection c, const std::string& id) = 0;
  virtual Status for_each_document(Collection c, const std::optional<std::string>& owner_id,
                                   const Visit<Document>& visit) = 0;

  virtual Result<std::optional<SystemRecord>> get_system(SystemTable t, const std::string& id) = 0;
  /// Ordered by created_at, then id.
  virtual Status for_each_system(SystemTable t, const Visit<SystemRecord>& visit) = 0;

  /// The highest Entry::seq so far (0 when empty).
  virtual Result<std::int64_t> max_entry_seq() = 0;

  /// One page of the audit lines that match `query` (newest first) and how many match in all.
  /// PostgreSQL: the same filters on (at) and (action, at) indexes, ORDER BY at DESC, seq DESC.
  virtual Result<AuditPage> query_audit(const AuditQuery& query) = 0;
  /// Every audit line, oldest first (by at, then append order): what a full backup archives.
  virtual Status for_each_audit(const Visit<AuditEvent>& visit) = 0;
  // ---- Change tracking (incremental backups; docs/backup.md "Change tracking") ----
  // Every write transaction that adds, changes or deletes a project, session, entry or document takes
  // the next value of one store-wide change sequence and stamps what it wrote with it; a deletion
  // leaves a Tombstone with it. The sequence a snapshot sees covers exactly what it sees: a later
  // commit always carries a higher one. So "what changed since a backup taken at sequence P" is the
  // rows and tombstones above P, each found through an index.

  /// The change sequence of this snapshot: the highest one committed (0 for a store never changed).
  virtual Result<std::int64_t> change_seq() = 0;
  /// Documents of collection `c` written with a change sequence above `after`, ordered by created_at, id.
  virtual Status for_each_changed_document(Collection c, const std::optional<std::string>& owner_id, std::int64_t after,
                                           const Visit<Document>& visit) = 0;
  /// Tombstones above `after` (of `owner_id` when given), in change order.
  virtual Status for_each_tombstone(std::int64_t after, const std::optional<std::string>& owner_id,
                                    const Visit<Tombstone>& visit) = 0;
};

/// What insert_entry does when the session already holds an entry with that key.
enum class OnExisting {
  keep,     ///< leave the stored entry; insert_entry returns false
  replace,  ///< overwrite it with the new one; insert_entry returns false
};

/// The exclusive write transaction. Rolls back on destruction unless commit() succeeded.
/// Statistics are not maintained per row: call refresh_session_stats / refresh_project_stats
/// for what a batch touched before committing. Writes that change nothing (a refresh whose figures are
/// the same, a replace with the same line, an insert of a key that exists under `keep`) leave the rows'
/// change sequence as it was, so that an incremental backup after them holds nothing.
class Writer : public virtual Reader {
 public:
  virtual Status commit() = 0;

  virtual Status put_user(const User& user) = 0;  ///< insert or replace by id
  virtual Status put_api_key(const ApiKey& key) = 0;
  virtual Status revoke_api_key(const std::string& id, TimeMs when) = 0;  ///< not_found when unknown
  virtual Status touch_api_key(const std::string& id, TimeMs when) = 0;

  /// The id of project (owner_id, name), created empty when missing.
  virtual Result<std::string> ensure_project(const std::string& owner_id, const std::string& name, TimeMs now) = 0;
  virtual Status put_project(const Project& project) = 0;    ///< insert or replace by id
  virtual Status delete_project(const std::string& id) = 0;  ///< with its sessions and their entries

  /// Creates session `id` in `project_id` when missing; an existing session keeps its project.
  virtual Status ensure_session(const std::string& id, const std::string& project_id, const std::string& owner_id,
                                TimeMs now) = 0;
  virtual Status put_session(const Session& session) = 0;  ///< insert or replace by id
  virtual Status set_session_summary(const std::string& id, const std::string& summary) = 0;
  virtual Status delete_session(const std::string& id) = 0;  ///< with its entries

  /// Adds an entry to its (existing) session. Returns true when it was new.
  virtual Result<bool> insert_entry(const Entry& entry, OnExisting on_existing) = 0;
  virtual Status delete_entry(const std::string& session_id, const std::string& key) = 0;

  /// Recomputes started/ended, counts and usage of a session from its entries.
  virtual Status refresh_session_stats(const std::string& session_id) = 0;
  /// Recomputes a project's counts, and its path from the cwd its entries carry most.
  virtual Status refresh_project_stats(const std::string& project_id) = 0;

  virtual Status put_document(Collection c, const Document& doc) = 0;  ///< insert or replace by id
  virtual Status delete_document(Collection c, const std::string& id) = 0;
  /// Removes the tombstones with a change sequence up to `up_to` recorded before `before` (what no
  /// incremental backup can need any more: backup::prune_tombstones decides); returns how many. One
  /// statement on the tombstones(cseq) index; stamps nothing.
  virtual Result<std::int64_t> prune_tombstones(std::int64_t up_to, TimeMs before) = 0;

  virtual Status put_system(SystemTable t, const SystemRecord& record) = 0;  ///< insert or replace by id
  virtual Status delete_system(SystemTable t, const std::string& id) = 0;

  /// Appends an audit line (id, at and action required). A line whose id is stored already is left
  /// as it is and false returned (a restore re-adding archived lines); true when appended.
  virtual Result<bool> append_audit(const AuditEvent& event) = 0;
};

// ---- The job queue ---------------------------------------------------------------------------------

/// A row of the `jobs` table as the queue operations see it: the record (kind = job type, status is
/// authoritative over anything the JSON says) plus the worker that claimed it.
struct JobRow {
  SystemRecord record;
  std::string claimed_by;  ///< "" while unclaimed
};

/// claim_job: take the oldest job (created_at, id) whose status is `from_status` and kind one of `kinds`.
struct JobClaim {
  std::string claimant;                 ///< the worker id written into claimed_by; required
  TimeMs now = 0;                       ///< written into updated_at
  std::vector<std::string> kinds;       ///< Default: empty = any kind
  std::string from_status = "pending";  ///< Default: "pending"
  std::string to_status = "running";    ///< Default: "running"
};

/// A compare-and-set condition on a job row.
struct JobExpect {
  std::string status;      ///< the row's current status must be this
  std::string claimed_by;  ///< and its claimant this ("" = unclaimed)
};

/// One schedule's latest claimed cron slot (SPEC §8: several servers on one database elect one runner per
/// slot). `schedule_id` is a schedule's id, or a name such as "retention.cleanup_schedule".
struct SlotClaim {
  std::string schedule_id;
  TimeMs slot = 0;         ///< the cron slot (a whole minute, ms since the epoch)
  std::string claimed_by;  ///< the claimant (a worker id)
  TimeMs claimed_at = 0;
};

/// A job query. Ordered by created_at, then id.
struct JobQuery {
  std::vector<std::string> statuses;  ///< Default: empty = every status
  std::vector<std::string> kinds;     ///< Default: empty = every kind
};

// ---- The notification outbox ------------------------------------------------------------------------

/// A notification to deliver (docs/notifications.md): one row per event and channel. The row outlives a
/// restart; a delivery worker claims due rows with claim_outbox and records each attempt's outcome.
struct OutboxRow {
  std::string id;
  std::string event_type;          ///< "backup.completed", "storage.low", ...
  std::string channel;             ///< "webhook" | "email"
  std::string status = "pending";  ///< pending | delivered | failed (given up)
  std::string payload;             ///< the event's JSON object (the webhook body; the mail is written from it)
  int attempts = 0;                ///< attempts started so far (each claim counts one)
  TimeMs next_attempt_at = 0;      ///< due when <= now; while claimed, the end of the claim's lease
  std::string last_error;          ///< why the last attempt failed ("" when none did)
  std::string claimed_by;          ///< the worker of the latest claim ("" before the first)
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
};

/// claim_outbox: take the pending row due first (next_attempt_at <= now; rows due at the same time in the
/// order they were inserted).
struct OutboxClaim {
  std::string claimant;    ///< written into claimed_by; required
  TimeMs now = 0;          ///< rows due at or before this; written into updated_at
  TimeMs lease_until = 0;  ///< written into next_attempt_at: if the claimant dies, the row is due again then
};

struct StoreOptions {
  /// How long write() waits for another writer before failing with Errc::busy. Default: 30 s.
  int busy_timeout_ms = 30'000;
  /// Create the database (and its folder) when missing. Default: true.
  bool create = true;
};

/// What a write transaction is for.
enum class WriteMode {
  normal,  ///< short transactions (ingest of a file, metadata): concurrent readers go on reading
  /// One large transaction (a restore). Readers still run beside it (the server depends on that);
  /// an implementation may tune it for throughput without blocking them. SQLite: as `normal`.
  bulk,
};

class Store {
 public:
  virtual ~Store() = default;
  virtual Result<std::unique_ptr<Reader>> read() = 0;
  virtual Result<std::unique_ptr<Writer>> write(WriteMode mode) = 0;
  Result<std::unique_ptr<Writer>> write() { return write(WriteMode::normal); }
  /// The URL it was opened with ("sqlite:./var/claudelens.db").
  virtual const std::string& url() const = 0;
  /// Bytes the store occupies on disk (for estimates and free-space checks).
  virtual Result<std::int64_t> size_on_disk() = 0;
  /// A number that changes whenever a write transaction commits, from any connection of any process on
  /// the same database (it may also change when nothing a reader sees did). Two equal answers mean that
  /// nothing was committed between the two calls, so that a cache of what a read found (the server's
  /// backups registry and API keys, docs/http.md "Caches") is still exact: read the version *before*
  /// reading the data, and keep the data only while the version stays the same. One cheap call (no
  /// transaction to open); thread-safe. nullopt: this store cannot tell, so do not cache. Default: nullopt.
  /// SQLite: PRAGMA data_version on a connection of its own that never writes (its value changes with
  /// every commit of any other connection). PostgreSQL (later): a counter row bumped by triggers.
  virtual Result<std::optional<std::int64_t>> data_version() { return std::optional<std::int64_t>(); }

  // The job queue. Each call is ONE store operation in its own short transaction, so that several
  // processes (several servers on one database, the CLI beside a server) share the queue safely; they
  // wait for a running write transaction like write() does (Errc::busy after the busy timeout).
  // PostgreSQL maps them to single statements: claim_job to UPDATE … WHERE id = (SELECT id … WHERE
  // status = $from … ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING …;
  // update_job_if to UPDATE … WHERE id = $id AND status = $s AND claimed_by = $c; insert_job's
  // exclusion to INSERT … SELECT … WHERE NOT EXISTS (…) under a partial unique index.

  /// Inserts a new job row. When `exclusive` is given, refuses (returns false, nothing written) if a
  /// job of the same kind with one of the `exclusive` statuses exists. already_exists for a taken id.
  virtual Result<bool> insert_job(const JobRow& row, const std::vector<std::string>& exclusive) = 0;
  /// Atomically claims the oldest matching job: sets status = to_status, claimed_by = claimant,
  /// updated_at = now, and returns the row as it is now (JSON unchanged). nullopt when none matches.
  virtual Result<std::optional<JobRow>> claim_job(const JobClaim& claim) = 0;
  /// Replaces row.record.id's row with `row` (owner, kind, status, updated_at, json, claimed_by) only
  /// when its status and claimant are as `expect` says. Returns false (nothing written) otherwise,
  /// also when the row does not exist.
  virtual Result<bool> update_job_if(const JobRow& row, const JobExpect& expect) = 0;
  virtual Result<std::optional<JobRow>> get_job(const std::string& id) = 0;
  virtual Status for_each_job(const JobQuery& query, const Visit<JobRow>& visit) = 0;

  // Schedule slots: ONE store operation elects the runner of a slot. SQLite and PostgreSQL: INSERT …
  // ON CONFLICT(schedule_id) DO UPDATE SET slot = excluded.slot, … WHERE slot < excluded.slot.

  /// Records `claim` as its schedule's latest claimed slot when none is recorded or the recorded one is
  /// earlier. True: this caller claimed the slot (and runs it); false: that slot or a later one was
  /// claimed already (by anyone, in any process), nothing written.
  virtual Result<bool> claim_slot(const SlotClaim& claim) = 0;
  /// The latest claimed slot of a schedule; nullopt when none was ever claimed.
  virtual Result<std::optional<SlotClaim>> last_slot_claim(const std::string& schedule_id) = 0;
  // The notification outbox: one store operation each, like the job queue, so that several servers on
  // one database deliver each row once (a claim is a lease: a claimant that dies leaves its row due again
  // at lease_until).

  /// Inserts a new row (fails for a taken id).
  virtual Status insert_outbox(const OutboxRow& row) = 0;
  /// Atomically claims the pending row due first: attempts + 1, claimed_by = claimant, next_attempt_at =
  /// lease_until, updated_at = now; returns the row as it is now. nullopt when nothing is due.
  virtual Result<std::optional<OutboxRow>> claim_outbox(const OutboxClaim& claim) = 0;
  /// Writes status, next_attempt_at, last_error and updated_at of row.id only when its claimed_by and
  /// attempts are still those of `row` (nobody claimed it since). Returns false (nothing written) otherwise.
  virtual Result<bool> update_outbox_if(const OutboxRow& row) = 0;
  /// Rows with one of `statuses` (empty: every row), oldest first (created_at, then insertion order).
  virtual Status for_each_outbox(const std::vector<std::string>& statuses, const Visit<OutboxRow>& visit) = 0;
  /// Deletes delivered and failed rows last updated before `before`; returns how many.
  virtual Result<std::int64_t> prune_outbox(TimeMs before) = 0;
};

/// Opens the store a URL names: "sqlite:PATH" (or a bare path, or "sqlite://PATH") opens or creates
/// a SQLite database and runs its migrations. Opening a current store writes nothing (it never waits
/// for a writer). Errors, each naming the file: invalid_argument for an unknown scheme or a non-empty
/// database that is not a ClaudeLens store (refused before anything is written to it),
/// incompatible_version for a database written by a newer ClaudeLens, io/database otherwise.
Result<std::unique_ptr<Store>> open_store(std::string_view url, const StoreOptions& options = {});

}  // namespace claudelens::store
