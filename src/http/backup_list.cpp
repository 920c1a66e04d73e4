#include "http/backup_list.hpp"

#include "http/json_body.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

namespace claudelens::http {

namespace json = boost::json;

namespace {

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

Checked<ListQuery> parse_list_query(const std::map<std::string, std::string>& params) {
  std::vector<FieldError> errors;
  Query p(params, errors);
  ListQuery q;
  if (auto v = p.integer("page", 1, 1'000'000'000)) q.page = *v;
  if (auto v = p.integer("size", 1, 100)) q.size = *v;
  if (auto sort = p.string("sort")) {
    const std::size_t comma = sort->find(',');
    const std::string field = sort->substr(0, comma);
    const std::string direction = comma == std::string::npos ? "desc" : sort->substr(comma + 1);
    if (field == "created_at")
      q.sort = SortField::created_at;
    else if (field == "name")
      q.sort = SortField::name;
    else if (field == "size_bytes")
      q.sort = SortField::size_bytes;
    else
      p.error("sort", "enum", "the field must be created_at, name or size_bytes (as field,direction)");
    if (direction == "asc" || direction == "desc")
      q.descending = direction == "desc";
    else
      p.error("sort", "enum", "the direction must be asc or desc (as field,direction)");
  }
  if (auto type = p.string("type")) {
    q.type = backup::parse_backup_type(*type);
    if (!q.type) p.error("type", k_invalid_backup_type, "must be full, selective or incremental");
  }
  if (auto status = p.string("status")) {
    q.status = backup::parse_backup_status(*status);
    if (!q.status) p.error("status", "enum", "must be pending, in_progress, completed, failed, corrupted or deleting");
  }
  q.created_after = p.time("created_after");
  q.created_before = p.time("created_before");
  if (q.created_after && q.created_before && *q.created_after >= *q.created_before)
    p.error("created_before", k_invalid_date_range, "must be after created_after");
  q.min_size = p.integer("min_size", 0, INT64_MAX);
  q.max_size = p.integer("max_size", 0, INT64_MAX);
  if (q.min_size && q.max_size && *q.min_size > *q.max_size) p.error("max_size", "range", "must not be below min_size");
  if (auto search = p.string("search")) {
    if (search->size() > 200) p.error("search", "length", "must be at most 200 characters");
    q.search = lowercase(*search);
  }
  p.reject_unknown();
  if (!errors.empty()) return {std::nullopt, reject(std::move(errors))};
  return {q, {}};
}

bool matches(const ListQuery& q, const backup::BackupMetadata& m) {
  if (q.type && m.type != *q.type) return false;
  if (q.status && m.status != *q.status) return false;
  if (q.created_after && m.created_at < *q.created_after) return false;
  if (q.created_before && m.created_at >= *q.created_before) return false;
  if (q.min_size && m.size_bytes < *q.min_size) return false;
  if (q.max_size && m.size_bytes > *q.max_size) return false;
  if (!q.search.empty() && lowercase(m.name).find(q.search) == std::string::npos &&
      lowercase(m.description).find(q.search) == std::string::npos)
    return false;
  return true;
}

namespace {

/// The page of `visible` the query asks for: indices into `visible` in answer order, and how many
/// backups matched in all.
struct Selection {
  std::vector<std::size_t> page;
  std::int64_t total = 0;
};

Selection select_page(const std::vector<const backup::BackupMetadata*>& visible, const ListQuery& q) {
  std::vector<std::size_t> hits;
  for (std::size_t i = 0; i < visible.size(); ++i)
    if (matches(q, *visible[i])) hits.push_back(i);
  auto key_less = [&](const backup::BackupMetadata* a, const backup::BackupMetadata* b) {
    switch (q.sort) {
      case SortField::name: {
        const std::string x = lowercase(a->name), y = lowercase(b->name);
        if (x != y) return x < y;
        break;
      }
      case SortField::size_bytes:
        if (a->size_bytes != b->size_bytes) return a->size_bytes < b->size_bytes;
        break;
      case SortField::created_at:
        break;
    }
    if (a->created_at != b->created_at) return a->created_at < b->created_at;
    return a->id < b->id;  // a total order: pages never repeat or skip an item
  };
  std::sort(hits.begin(), hits.end(), [&](std::size_t a, std::size_t b) {
    return q.descending ? key_less(visible[b], visible[a]) : key_less(visible[a], visible[b]);
  });
  Selection out;
  out.total = static_cast<std::int64_t>(hits.size());
  const std::int64_t first = (q.page - 1) * q.size;
  for (std::int64_t i = first; i < std::min(out.total, first + q.size); ++i)
    out.page.push_back(hits[static_cast<std::size_t>(i)]);
  return out;
}

}  // namespace

json::object backups_summary(const std::vector<const backup::BackupMetadata*>& all) {
  std::int64_t size = 0, compressed = 0;
  json::object by_type{{"full", 0}, {"selective", 0}, {"incremental", 0}};
  const backup::BackupMetadata* oldest = nullptr;
  const backup::BackupMetadata* newest = nullptr;
  for (const auto* m : all) {
    size += m->size_bytes;
    compressed += m->compressed_size_bytes;
    auto& n = by_type[backup::backup_type_name(m->type)];
    n = n.as_int64() + 1;
    if (!oldest || m->created_at < oldest->created_at) oldest = m;
    if (!newest || m->created_at >= newest->created_at) newest = m;
  }
  return json::object{{"total_size_bytes", size},
                      {"total_compressed_size_bytes", compressed},
                      {"total_backups", static_cast<std::int64_t>(all.size())},
                      {"backups_by_type", std::move(by_type)},
                      {"oldest_backup", oldest ? json::value(format_iso8601(oldest->created_at)) : nullptr},
                      {"newest_backup", newest ? json::value(format_iso8601(newest->created_at)) : nullptr}};
}

json::object backups_summary(const std::vector<backup::BackupMetadata>& all) {
  std::vector<const backup::BackupMetadata*> pointers;
  pointers.reserve(all.size());
  for (const auto& m : all) pointers.push_back(&m);
  return backups_summary(pointers);
}

json::object list_backups(const std::vector<backup::BackupMetadata>& visible, const ListQuery& q,
                          const std::function<json::object(const backup::BackupMetadata&)>& item) {
  std::vector<const backup::BackupMetadata*> pointers;
  pointers.reserve(visible.size());
  for (const auto& m : visible) pointers.push_back(&m);
  const Selection selected = select_page(pointers, q);
  json::array items;
  for (const std::size_t i : selected.page) items.push_back(item(*pointers[i]));
  return json::object{{"items", std::move(items)},
                      {"pagination", pagination_json(selected.total, Paging{q.page, q.size})},
                      {"summary", backups_summary(pointers)}};
}

std::string list_backups_text(const std::vector<const backup::BackupMetadata*>& visible,
                              const std::vector<const std::string*>& item_json, const ListQuery& q) {
  const Selection selected = select_page(visible, q);
  std::size_t bytes = 64;
  for (const std::size_t i : selected.page) bytes += item_json[i]->size() + 1;
  std::string out;
  out.reserve(bytes + 512);
  out += "{\"items\":[";
  for (std::size_t n = 0; n < selected.page.size(); ++n) {
    if (n > 0) out += ',';
    out += *item_json[selected.page[n]];
  }
  out += "],\"pagination\":";
  out += json::serialize(pagination_json(selected.total, Paging{q.page, q.size}));
  out += ",\"summary\":";
  out += json::serialize(backups_summary(visible));
  out += '}';
  return out;
}

}  // namespace claudelens::http
