#include "billing/usage_import.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "core/time.h"
#include "core/uuid.h"

namespace pc::billing {

namespace {

// Rows per multi-row INSERT.
constexpr size_t kRowsPerStatement = 100;
constexpr char kSep = '\x1f';

struct Sums {
  Decimal quantity, charge, partner_cost;
  int64_t lines = 0;
  // The PCToBCExchangeRate values of the group's lines: distinct, canonical, space-separated
  // (usage_rollups.exchange_rates); last_rate spares re-merging a rate the previous row had.
  std::string rates;
  std::optional<Decimal> last_rate;
};

// (billing alias, customer, Azure subscription, meter category, day, currency)
using GroupKey = std::array<std::string, 6>;
using Groups = std::map<GroupKey, Sums>;

Status AddTo(Sums& sums, const Decimal& quantity, const Decimal& charge, const Decimal& cost,
             int64_t lines) {
  PC_ASSIGN_OR_RETURN(sums.quantity, sums.quantity.Add(quantity));
  PC_ASSIGN_OR_RETURN(sums.charge, sums.charge.Add(charge));
  PC_ASSIGN_OR_RETURN(sums.partner_cost, sums.partner_cost.Add(cost));
  sums.lines += lines;
  return {};
}

// Adds the rates of `more` (space-separated) to those of `into`: distinct, sorted.
void MergeRates(std::string& into, std::string_view more) {
  if (more.empty() || into == more) return;
  std::set<std::string, std::less<>> all;
  for (std::string_view list : {std::string_view(into), more}) {
    size_t start = 0;
    while (start < list.size()) {
      size_t end = list.find(' ', start);
      if (end == std::string_view::npos) end = list.size();
      if (end > start) all.emplace(list.substr(start, end - start));
      start = end + 1;
    }
  }
  into.clear();
  for (const auto& r : all) {
    if (!into.empty()) into += ' ';
    into += r;
  }
}

// One usage line into the group's sums, with its exchange rate.
Status AddRow(Sums& sums, const UsageRowView& row) {
  if (row.exchange_rate && !(sums.last_rate && *sums.last_rate == *row.exchange_rate)) {
    MergeRates(sums.rates, row.exchange_rate->ToString());
    sums.last_rate = row.exchange_rate;
  }
  return AddTo(sums, row.quantity, row.charge, row.partner_cost, 1);
}

// Line hashes that did not fit in memory, in an unnamed temporary file (gone when closed).
// One writer (a parsing thread), then one reader (the import).
class HashSpill {
 public:
  struct Segment {
    const HashSpill* spill;
    uint64_t offset;  // in hashes
    uint64_t count;
  };
  ~HashSpill() {
    if (file_ != nullptr) std::fclose(file_);
  }
  Result<Segment> Write(const std::vector<uint64_t>& hashes) {
    if (file_ == nullptr && (file_ = std::tmpfile()) == nullptr) {
      return Internal(std::string("cannot create a temporary file for usage line hashes: ") +
                      std::strerror(errno));
    }
    if (std::fwrite(hashes.data(), sizeof(uint64_t), hashes.size(), file_) != hashes.size()) {
      return Internal(std::string("cannot write usage line hashes to a temporary file: ") +
                      std::strerror(errno));
    }
    Segment segment{this, written_, hashes.size()};
    written_ += hashes.size();
    return segment;
  }
  // Appends the segment's hashes to `out`.
  Status Read(const Segment& segment, std::vector<uint64_t>& out) const {
    if (std::fflush(file_) != 0) return Internal("cannot flush the usage line hash file");
    size_t at = out.size();
    out.resize(at + segment.count);
    size_t bytes = segment.count * sizeof(uint64_t);
    ssize_t n = pread(fileno(file_), out.data() + at, bytes,
                      static_cast<off_t>(segment.offset * sizeof(uint64_t)));
    if (n != static_cast<ssize_t>(bytes)) return Internal("cannot read back usage line hashes");
    return {};
  }

 private:
  std::FILE* file_ = nullptr;
  uint64_t written_ = 0;
};

// A partition's line hashes: those in memory and those spilled.
struct PartitionHashes {
  std::vector<uint64_t> memory;
  std::vector<HashSpill::Segment> spilled;
  // All of them, sorted, each once; `repeated` tells whether some came more than once.
  Result<std::vector<uint64_t>> Load(bool& repeated) {
    std::vector<uint64_t> all = std::move(memory);
    memory = {};
    for (const auto& segment : spilled) {
      PC_RETURN_IF_ERROR(segment.spill->Read(segment, all));
    }
    spilled = {};
    std::sort(all.begin(), all.end());
    size_t count = all.size();
    all.erase(std::unique(all.begin(), all.end()), all.end());
    repeated = all.size() != count;
    return all;
  }
};

// The file's usage, grouped without the alias: key "subscription␟day␟customer␟category␟currency"
// (the partition key "subscription␟day" is its prefix), and each partition's line hashes.
struct FileUsage {
  std::unordered_map<std::string, Sums> groups;
  std::unordered_map<std::string, PartitionHashes> partitions;
  int64_t rows = 0;
};

// Builds the group key of `row` in `key`; returns the length of its partition prefix.
size_t GroupKeyOf(const UsageRowView& row, std::string& key) {
  key.assign(row.azure_subscription_id);
  key += kSep;
  key += FormatDay(row.day);
  size_t partition = key.size();
  key += kSep;
  key += row.customer_id;
  key += kSep;
  key += row.meter_category;
  key += kSep;
  key += row.currency;
  return partition;
}

// Small integer ids for the strings one worker sees (subscriptions, customers, ...); usage
// files repeat the same few values row after row, so the last one is checked first.
class Interner {
 public:
  uint32_t Id(std::string_view text) {
    if (!names_.empty() && text == names_[last_]) return last_;
    auto it = ids_.find(text);
    if (it == ids_.end()) {
      names_.emplace_back(text);
      it = ids_.emplace(names_.back(), static_cast<uint32_t>(names_.size() - 1)).first;
    }
    last_ = it->second;
    return last_;
  }
  const std::string& Name(uint32_t id) const { return names_[id]; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::deque<std::string> names_;  // stable addresses: the map's keys point into them
  std::unordered_map<std::string_view, uint32_t, Hash, std::equal_to<>> ids_;
  uint32_t last_ = 0;
};

// One worker's share of pass 1: its rows grouped by integer key, each (subscription, day)
// partition's line hashes, and its first rejections.
class GroupingSink : public UsageSink {
 public:
  // `max_hashes`: line hashes kept in memory before they are spilled to a temporary file.
  GroupingSink(size_t max_rejections, size_t max_hashes)
      : max_rejections_(max_rejections), max_hashes_(std::max<size_t>(max_hashes, 1)) {}

  Status Row(const UsageRowView& row) override {
    Key key{subscriptions_.Id(row.azure_subscription_id), customers_.Id(row.customer_id),
            categories_.Id(row.meter_category), currencies_.Id(row.currency), row.day};
    if (sums_.empty() || !(key == last_key_)) {
      auto it = groups_.find(key);
      if (it == groups_.end()) {
        it = groups_.emplace(key, static_cast<uint32_t>(sums_.size())).first;
        sums_.emplace_back();
      }
      last_group_ = it->second;
      if (hashes_.empty() || key.subscription != last_key_.subscription ||
          key.day != last_key_.day) {
        uint64_t part =
            static_cast<uint64_t>(key.subscription) << 32 | static_cast<uint32_t>(key.day);
        auto p = partitions_.find(part);
        if (p == partitions_.end()) {
          p = partitions_.emplace(part, static_cast<uint32_t>(hashes_.size())).first;
          hashes_.emplace_back();
          spilled_.emplace_back();
        }
        last_partition_ = p->second;
      }
      last_key_ = key;
    }
    hashes_[last_partition_].push_back(row.line_key);
    if (++held_ >= max_hashes_) PC_RETURN_IF_ERROR(Spill());
    ++rows_;
    return AddRow(sums_[last_group_], row);
  }

  void Reject(RowError error) override {
    ++rejected_;
    if (rejections_.size() < max_rejections_) rejections_.push_back(std::move(error));
  }

  // Adds this worker's groups and partitions to `usage` (string keys).
  Status MergeInto(FileUsage& usage) {
    std::string key;
    for (const auto& [k, index] : groups_) {
      key.assign(subscriptions_.Name(k.subscription));
      key += kSep;
      key += FormatDay(k.day);
      key += kSep;
      key += customers_.Name(k.customer);
      key += kSep;
      key += categories_.Name(k.category);
      key += kSep;
      key += currencies_.Name(k.currency);
      const Sums& s = sums_[index];
      PC_RETURN_IF_ERROR(AddTo(usage.groups[key], s.quantity, s.charge, s.partner_cost, s.lines));
      MergeRates(usage.groups[key].rates, s.rates);
    }
    for (const auto& [part, index] : partitions_) {
      key.assign(subscriptions_.Name(static_cast<uint32_t>(part >> 32)));
      key += kSep;
      key += FormatDay(static_cast<int32_t>(part & 0xffffffffU));
      auto& into = usage.partitions[key];
      auto& mine = hashes_[index];
      if (into.memory.empty()) {
        into.memory = std::move(mine);
      } else {
        into.memory.insert(into.memory.end(), mine.begin(), mine.end());
      }
      mine = {};
      into.spilled.insert(into.spilled.end(), spilled_[index].begin(), spilled_[index].end());
    }
    usage.rows += rows_;
    return {};
  }

  int64_t rejected() const { return rejected_; }
  // The sink's spill file must outlive the FileUsage it merged into.
  std::unique_ptr<HashSpill> TakeSpill() { return std::move(spill_); }
  std::vector<RowError>& rejections() { return rejections_; }

 private:
  struct Key {
    uint32_t subscription, customer, category, currency;
    int32_t day;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      uint64_t a = static_cast<uint64_t>(k.subscription) << 32 | k.customer;
      uint64_t b = static_cast<uint64_t>(k.category) << 40 ^
                   static_cast<uint64_t>(k.currency) << 32 ^ static_cast<uint32_t>(k.day);
      return std::hash<uint64_t>()(a * 0x9e3779b97f4a7c15ULL ^ b);
    }
  };
  size_t max_rejections_;
  Interner subscriptions_, customers_, categories_, currencies_;
  std::unordered_map<Key, uint32_t, KeyHash> groups_;
  std::vector<Sums> sums_;
  std::unordered_map<uint64_t, uint32_t> partitions_;
  // Writes every partition's hashes in memory to the spill file and frees them.
  Status Spill() {
    if (!spill_) spill_ = std::make_unique<HashSpill>();
    for (size_t i = 0; i < hashes_.size(); ++i) {
      if (hashes_[i].empty()) continue;
      PC_ASSIGN_OR_RETURN(auto segment, spill_->Write(hashes_[i]));
      spilled_[i].push_back(segment);
      hashes_[i] = {};
    }
    held_ = 0;
    return {};
  }

  size_t max_hashes_;
  size_t held_ = 0;
  std::vector<std::vector<uint64_t>> hashes_;
  std::vector<std::vector<HashSpill::Segment>> spilled_;
  std::unique_ptr<HashSpill> spill_;
  Key last_key_{};
  uint32_t last_group_ = 0, last_partition_ = 0;
  int64_t rows_ = 0, rejected_ = 0;
  std::vector<RowError> rejections_;
};

// A sink made of two functions (pass 2).
class FunctionSink : public UsageSink {
 public:
  explicit FunctionSink(std::function<Status(const UsageRowView&)> row) : row_(std::move(row)) {}
  Status Row(const UsageRowView& row) override { return row_(row); }
  void Reject(RowError) override {}  // reported by pass 1

 private:
  std::function<Status(const UsageRowView&)> row_;
};

std::string HashesHex(const std::vector<uint64_t>& hashes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(hashes.size() * 16, '0');
  for (size_t i = 0; i < hashes.size(); ++i) {
    for (int k = 0; k < 16; ++k) out[i * 16 + k] = kHex[(hashes[i] >> (60 - 4 * k)) & 15];
  }
  return out;
}

Result<std::vector<uint64_t>> HashesFromHex(const std::string& hex) {
  if (hex.size() % 16 != 0) return Internal("usage_partitions.line_hashes is malformed");
  std::vector<uint64_t> out(hex.size() / 16);
  for (size_t i = 0; i < out.size(); ++i) {
    uint64_t v = 0;
    for (int k = 0; k < 16; ++k) {
      char c = hex[i * 16 + k];
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) return Internal("usage_partitions.line_hashes is malformed");
      v = (v << 4) | static_cast<uint64_t>(d);
    }
    out[i] = v;
  }
  return out;
}

std::pair<std::string, std::string> SplitPartition(const std::string& key) {
  size_t sep = key.find(kSep);
  return {key.substr(0, sep), key.substr(sep + 1)};
}

struct Mapping {
  std::string customer_id;
  std::string billing_alias;
};

class MappingCache {
 public:
  explicit MappingCache(store::Transaction& tx) : tx_(tx) {}
  // The alias billed for the row, or nullopt when the customer is unknown.
  Result<std::optional<std::string>> AliasFor(const UsageRow& row) {
    auto it = cache_.find(row.azure_subscription_id);
    if (it == cache_.end()) {
      PC_ASSIGN_OR_RETURN(auto rows, tx_.Query("SELECT customer_id, billing_alias FROM "
                                               "azure_subscriptions_map WHERE "
                                               "azure_subscription_id = ?",
                                               {row.azure_subscription_id}));
      std::optional<Mapping> m;
      if (!rows.empty()) m = Mapping{rows[0].Text(0), rows[0].Text(1)};
      it = cache_.emplace(row.azure_subscription_id, std::move(m)).first;
    }
    if (!it->second || row.azure_subscription_id.empty()) return std::optional<std::string>();
    const Mapping& m = *it->second;
    if (!m.customer_id.empty() && m.customer_id != row.customer_id) {
      return std::optional<std::string>();
    }
    return std::optional<std::string>(m.billing_alias);
  }

 private:
  store::Transaction& tx_;
  std::unordered_map<std::string, std::optional<Mapping>> cache_;
};

// Inserts the groups as new rollup rows, many per statement; the groups whose row already
// exists (usage counted before partitions were tracked) are left in `existing`.
Status InsertRollups(store::Transaction& tx, const Groups& groups, bool billed,
                     const std::string& now, Groups& existing) {
  const std::string table = billed ? "usage_rollups" : "usage_unknown_rollups";
  const std::string key_cols =
      billed ? "billing_alias, customer_id, azure_subscription_id, meter_category, usage_day, "
               "currency"
             : "customer_id, azure_subscription_id, meter_category, usage_day, currency";
  const std::string row_sql =
      billed ? "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  std::vector<const std::pair<const GroupKey, Sums>*> batch;
  auto flush = [&]() -> Status {
    if (batch.empty()) return {};
    std::string sql = "INSERT INTO " + table + " (" + key_cols +
                      ", quantity, charge, partner_cost, line_count, updated_at, exchange_rates) "
                      "VALUES ";
    std::vector<store::Param> params;
    params.reserve(batch.size() * 12);
    for (size_t i = 0; i < batch.size(); ++i) {
      sql += i == 0 ? row_sql : ", " + row_sql;
      const auto& [key, sums] = *batch[i];
      for (size_t k = billed ? 0 : 1; k < key.size(); ++k) params.emplace_back(key[k]);
      params.emplace_back(sums.quantity.ToString());
      params.emplace_back(sums.charge.ToString());
      params.emplace_back(sums.partner_cost.ToString());
      params.emplace_back(sums.lines);
      params.emplace_back(now);
      params.emplace_back(sums.rates);
    }
    sql += " ON CONFLICT (" + key_cols + ") DO NOTHING RETURNING " + key_cols;
    PC_ASSIGN_OR_RETURN(auto inserted, tx.Query(sql, params));
    if (inserted.size() != batch.size()) {
      std::set<GroupKey> fresh;
      for (const auto& r : inserted) {
        GroupKey k;
        for (size_t c = billed ? 0 : 1, j = 0; c < k.size(); ++c, ++j) k[c] = r.Text(j);
        fresh.insert(std::move(k));
      }
      for (const auto* g : batch) {
        if (fresh.contains(g->first)) continue;
        const Sums& sums = g->second;
        PC_RETURN_IF_ERROR(
            AddTo(existing[g->first], sums.quantity, sums.charge, sums.partner_cost, sums.lines));
        MergeRates(existing[g->first].rates, sums.rates);
      }
    }
    batch.clear();
    return {};
  };
  for (const auto& g : groups) {
    batch.push_back(&g);
    if (batch.size() == kRowsPerStatement) PC_RETURN_IF_ERROR(flush());
  }
  return flush();
}

// Adds the groups' sums to the stored rollups: read-modify-write under the transaction (row
// locked with FOR UPDATE on PostgreSQL; SQLite write transactions are serialized).
Status AddToRollups(store::Transaction& tx, const Groups& groups, bool billed,
                    const std::string& now) {
  const std::string table = billed ? "usage_rollups" : "usage_unknown_rollups";
  const std::string key_cols =
      billed ? "billing_alias, customer_id, azure_subscription_id, meter_category, usage_day, "
               "currency"
             : "customer_id, azure_subscription_id, meter_category, usage_day, currency";
  const std::string where =
      billed ? "billing_alias = ? AND customer_id = ? AND azure_subscription_id = ? AND "
               "meter_category = ? AND usage_day = ? AND currency = ?"
             : "customer_id = ? AND azure_subscription_id = ? AND meter_category = ? AND "
               "usage_day = ? AND currency = ?";
  const std::string value_marks = billed ? "?, ?, ?, ?, ?, ?" : "?, ?, ?, ?, ?";
  const std::string lock = tx.dialect() == store::Dialect::kPostgres ? " FOR UPDATE" : "";
  for (const auto& [key, sums] : groups) {
    std::vector<store::Param> key_params;
    for (size_t i = billed ? 0 : 1; i < key.size(); ++i) key_params.emplace_back(key[i]);
    std::vector<store::Param> insert_params = key_params;
    insert_params.emplace_back(now);
    PC_RETURN_IF_ERROR(tx.Execute("INSERT INTO " + table + " (" + key_cols +
                                      ", quantity, charge, partner_cost, line_count, updated_at) "
                                      "VALUES (" +
                                      value_marks +
                                      ", '0', '0', '0', 0, ?) "
                                      "ON CONFLICT (" +
                                      key_cols + ") DO NOTHING",
                                  insert_params));
    PC_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT quantity, charge, partner_cost, line_count, "
                                            "exchange_rates FROM " +
                                                table + " WHERE " + where + lock,
                                            key_params));
    if (rows.size() != 1) return Internal("rollup row vanished inside the transaction");
    Sums total;
    for (int i = 0; i < 3; ++i) {
      auto stored = Decimal::Parse(rows[0].Text(i));
      if (!stored.ok()) return Internal("a stored rollup is not a decimal: " + rows[0].Text(i));
      (i == 0 ? total.quantity : i == 1 ? total.charge : total.partner_cost) = *stored;
    }
    total.lines = rows[0].Int(3);
    total.rates = rows[0].Text(4);
    PC_RETURN_IF_ERROR(AddTo(total, sums.quantity, sums.charge, sums.partner_cost, sums.lines));
    MergeRates(total.rates, sums.rates);
    std::vector<store::Param> update_params = {total.quantity.ToString(),
                                               total.charge.ToString(),
                                               total.partner_cost.ToString(),
                                               total.lines,
                                               now,
                                               total.rates};
    update_params.insert(update_params.end(), key_params.begin(), key_params.end());
    PC_RETURN_IF_ERROR(tx.Execute("UPDATE " + table +
                                      " SET quantity = ?, charge = ?, partner_cost = ?, "
                                      "line_count = ?, updated_at = ?, exchange_rates = ? "
                                      "WHERE " +
                                      where,
                                  update_params));
  }
  return {};
}

// The installation's line identity key, created with the first import. Concurrent first imports
// agree: the row is inserted once and everyone reads it back.
Result<LineIdentityKey> LineIdentityKeyOf(store::Transaction& tx) {
  constexpr char kSelect[] = "SELECT value FROM billing_keys WHERE name = 'usage_line_identity'";
  PC_ASSIGN_OR_RETURN(auto rows, tx.Query(kSelect, {}));
  if (rows.empty()) {
    PC_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO billing_keys (name, value, created_at) VALUES "
                   "('usage_line_identity', ?, ?) ON CONFLICT (name) DO NOTHING",
                   {LineIdentityKey::NewStoredValue(), FormatTimestamp(Now())}));
    PC_ASSIGN_OR_RETURN(rows, tx.Query(kSelect, {}));
    if (rows.empty()) return Internal("the usage line identity key could not be created");
  }
  return LineIdentityKey::FromStored(rows[0].Text(0));
}

// Sorted unique a minus sorted unique b.
std::vector<uint64_t> Minus(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  std::vector<uint64_t> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

std::string SourceOf(const ImportOptions& options, const std::string& format) {
  if (!options.source.empty()) return options.source;
  return format == "focus_csv" ? "focus" : "partner-center";
}

// What the source's last snapshot counted for a partition: its line hashes (empty if none).
Result<std::vector<uint64_t>> SnapshotHashes(store::Transaction& tx, const std::string& source,
                                             const std::string& sub, const std::string& day) {
  PC_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT line_hashes FROM usage_snapshots WHERE "
                                          "source = ? AND azure_subscription_id = ? AND "
                                          "usage_day = ?",
                                          {source, sub, day}));
  if (rows.empty()) return std::vector<uint64_t>();
  return HashesFromHex(rows[0].Text(0));
}

// Takes the sums the source's last snapshot added for a partition back out: adds their negation
// to `billed` (alias known) or `unknown`.
Status SubtractSnapshot(store::Transaction& tx, const std::string& source, const std::string& sub,
                        const std::string& day, Groups& billed, Groups& unknown) {
  PC_ASSIGN_OR_RETURN(auto rows,
                      tx.Query("SELECT billing_alias, customer_id, meter_category, currency, "
                               "quantity, charge, partner_cost, line_count FROM "
                               "usage_snapshot_groups WHERE source = ? AND "
                               "azure_subscription_id = ? AND usage_day = ?",
                               {source, sub, day}));
  for (const auto& r : rows) {
    Decimal v[3];
    for (int i = 0; i < 3; ++i) {
      auto parsed = Decimal::Parse(r.Text(4 + i));
      if (!parsed.ok()) return Internal("a stored snapshot sum is not a decimal");
      v[i] = parsed->Negate();
    }
    GroupKey gk{r.Text(0), r.Text(1), sub, r.Text(2), day, r.Text(3)};
    Groups& into = gk[0].empty() ? unknown : billed;
    PC_RETURN_IF_ERROR(AddTo(into[gk], v[0], v[1], v[2], -r.Int(7)));
  }
  return {};
}

// Records what a snapshot import counted for each partition it replaced: its line hashes and
// sums (usage_snapshots, usage_snapshot_groups), and the partition's lines (usage_partitions):
// those of other imports and this snapshot's.
template <typename Parts>
Status RecordSnapshot(store::Transaction& tx, const ImportReport& report, const Parts& parts,
                      const Groups& groups) {
  for (const auto& [part, p] : parts) {
    auto [sub, day] = SplitPartition(part);
    PC_RETURN_IF_ERROR(tx.Execute(
        "DELETE FROM usage_snapshot_groups WHERE source = ? AND azure_subscription_id = ? AND "
        "usage_day = ?",
        {report.source, sub, day}));
    PC_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO usage_snapshots (source, azure_subscription_id, usage_day, line_count, "
        "line_hashes, import_id) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source, "
        "azure_subscription_id, usage_day) DO UPDATE SET line_count = excluded.line_count, "
        "line_hashes = excluded.line_hashes, import_id = excluded.import_id",
        {report.source, sub, day, static_cast<int64_t>(p.counted.size()), HashesHex(p.counted),
         report.import_id}));
    if (p.fresh) continue;  // claimed with the file's lines, which all count
    std::vector<uint64_t> all;
    std::merge(p.other.begin(), p.other.end(), p.counted.begin(), p.counted.end(),
               std::back_inserter(all));
    PC_RETURN_IF_ERROR(tx.Execute(
        "UPDATE usage_partitions SET line_hashes = ?, line_count = ?, import_id = ? WHERE "
        "azure_subscription_id = ? AND usage_day = ?",
        {HashesHex(all), static_cast<int64_t>(all.size()), report.import_id, sub, day}));
  }
  for (const auto& [key, sums] : groups) {
    PC_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO usage_snapshot_groups (source, azure_subscription_id, usage_day, "
        "billing_alias, customer_id, meter_category, currency, quantity, charge, partner_cost, "
        "line_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {report.source, key[2], key[4], key[0], key[1], key[3], key[5], sums.quantity.ToString(),
         sums.charge.ToString(), sums.partner_cost.ToString(), sums.lines}));
  }
  return {};
}

// (customer, subscription, category, day, currency) of a kept-aside group, keyed for the rollups.
GroupKey BilledKey(const std::string& alias, const store::Row& r) {
  return GroupKey{alias, r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4)};
}

bool MayImport(const identity::Principal& who) {
  return who.via == identity::Principal::Via::kSystem || who.user.role == identity::Role::kOperator;
}

}  // namespace

Result<ImportReport> ImportUsage(store::Database& db, const identity::Principal& who,
                                 const SourceFactory& source, const ImportOptions& options) {
  if (!MayImport(who)) return PermissionDenied("Only operators may import usage");
  bool already_imported = false;
  std::string digest;
  auto run = [&](store::Transaction& tx) -> Result<ImportReport> {
    ImportReport report;
    report.file_name = options.file_name;
    report.import_id = Uuid::V7().ToString();
    ReaderOptions reader_options;
    reader_options.file_name = options.file_name;
    reader_options.container = options.container;
    reader_options.threads = options.threads;
    reader_options.max_expanded_bytes = options.max_expanded_bytes;
    reader_options.max_expansion_ratio = options.max_expansion_ratio;
    PC_ASSIGN_OR_RETURN(reader_options.line_identity, LineIdentityKeyOf(tx));

    // Pass 1: the whole file, grouped, with each (subscription, day) partition's line hashes.
    // Each parsing thread groups its own rows; the groups are merged at the end.
    FileUsage usage;
    std::vector<std::unique_ptr<HashSpill>> spills;  // hashes beyond the memory budget
    {
      PC_ASSIGN_OR_RETURN(auto bytes, source());
      std::vector<std::unique_ptr<GroupingSink>> workers;
      std::vector<UsageSink*> sinks;
      const int threads = std::max(1, options.threads);
      const size_t max_hashes =
          options.hash_memory_bytes / sizeof(uint64_t) / static_cast<size_t>(threads);
      for (int i = 0; i < threads; ++i) {
        workers.push_back(
            std::make_unique<GroupingSink>(options.max_reported_rejections, max_hashes));
        sinks.push_back(workers.back().get());
      }
      PC_ASSIGN_OR_RETURN(auto scan,
                          ScanUsage(std::move(bytes), reader_options, sinks, options.strict));
      std::vector<RowError> rejections;
      for (auto& w : workers) {
        report.rows_rejected += w->rejected();
        std::move(w->rejections().begin(), w->rejections().end(), std::back_inserter(rejections));
      }
      std::sort(rejections.begin(), rejections.end(),
                [](const RowError& x, const RowError& y) { return x.line < y.line; });
      if (!rejections.empty() && options.strict) {
        return InvalidArgument(rejections.front().ToString() +
                               " (strict mode: the file was not imported)");
      }
      if (rejections.size() > options.max_reported_rejections) {
        rejections.resize(options.max_reported_rejections);
      }
      report.rejections = std::move(rejections);
      for (auto& w : workers) {
        PC_RETURN_IF_ERROR(w->MergeInto(usage));
        if (auto spill = w->TakeSpill()) spills.push_back(std::move(spill));
        w.reset();
      }
      report.format = std::string(UsageFormatName(scan.format));
      report.digest = scan.digest;
    }
    digest = report.digest;
    const bool snapshot = options.mode == ImportMode::kSnapshot;
    report.mode = options.mode;
    if (snapshot) report.source = SourceOf(options, report.format);
    std::string now = FormatTimestamp(Now());
    std::string by = who.via == identity::Principal::Via::kSystem ? "cli" : who.user.email;
    // The file's bytes are claimed first: a file imported before stops here.
    PC_ASSIGN_OR_RETURN(
        int64_t recorded,
        tx.Execute("INSERT INTO usage_imports (id, digest, file_name, format, rows_imported, "
                   "rows_rejected, rows_unknown, rows_duplicate, imported_at, imported_by, "
                   "mode, source) VALUES (?, ?, ?, ?, 0, 0, 0, 0, ?, ?, ?, ?) "
                   "ON CONFLICT (digest) DO NOTHING",
                   {report.import_id, report.digest, report.file_name, report.format, now, by,
                    std::string(ImportModeName(options.mode)), report.source}));
    if (recorded == 0) {  // the same bytes were imported before: roll everything back
      already_imported = true;
      return FailedPrecondition("already imported");
    }

    // Usage kept aside earlier whose subscription is known now is billed from now on.
    std::set<std::string> touched;  // the billing aliases whose charges change
    PC_ASSIGN_OR_RETURN(auto attributed, AttributeKeptAside(tx));
    for (const auto& a : attributed) touched.insert(a.billing_alias);

    // Claim the partitions, in key order (a consistent lock order between concurrent imports).
    // A partition claimed now is new: its lines all count, unless the file repeats a line.
    // A partition held before counts only the file's lines outside its stored set (pass 2).
    std::vector<std::string> keys;
    keys.reserve(usage.partitions.size());
    for (auto& [k, hashes] : usage.partitions) keys.push_back(k);
    std::sort(keys.begin(), keys.end());
    // Partition key → the hashes already counted (pass 2), or absent when all its lines count.
    std::unordered_map<std::string, std::vector<uint64_t>> recount;
    std::unordered_set<std::string> skip;  // partitions whose lines were all counted before
    // Snapshot mode: the partitions the file replaces, with the lines it counts for each and the
    // lines other imports counted there (which stay theirs).
    struct SnapshotPart {
      std::vector<uint64_t> counted, other;
      bool fresh = false;  // claimed by this import
    };
    std::map<std::string, SnapshotPart> snapshot_parts;
    Groups billed, unknown;  // added to existing rows (read-modify-write)
    for (size_t start = 0; start < keys.size(); start += kRowsPerStatement) {
      size_t end = std::min(keys.size(), start + kRowsPerStatement);
      std::string sql =
          "INSERT INTO usage_partitions (azure_subscription_id, usage_day, "
          "line_count, line_hashes, import_id) VALUES ";
      std::vector<store::Param> params;
      std::vector<size_t> repeats;  // partitions whose file repeats a line
      // This batch's hashes, loaded (from memory and the spill files), sorted and unique.
      std::vector<std::vector<uint64_t>> batch(end - start);
      for (size_t i = start; i < end; ++i) {
        bool repeated = false;
        PC_ASSIGN_OR_RETURN(batch[i - start], usage.partitions[keys[i]].Load(repeated));
        const auto& hashes = batch[i - start];
        if (repeated) repeats.push_back(i);
        auto [sub, day] = SplitPartition(keys[i]);
        sql += i == start ? "(?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?)";
        params.emplace_back(std::move(sub));
        params.emplace_back(std::move(day));
        params.emplace_back(static_cast<int64_t>(hashes.size()));
        params.emplace_back(HashesHex(hashes));
        params.emplace_back(report.import_id);
      }
      sql +=
          " ON CONFLICT (azure_subscription_id, usage_day) DO NOTHING "
          "RETURNING azure_subscription_id, usage_day";
      PC_ASSIGN_OR_RETURN(auto inserted, tx.Query(sql, params));
      for (size_t i : repeats) recount[keys[i]];  // nothing stored before: the empty set
      if (inserted.size() == end - start && !snapshot) continue;
      std::unordered_set<std::string> fresh;
      for (const auto& r : inserted) fresh.insert(r.Text(0) + kSep + r.Text(1));
      for (size_t i = start; i < end; ++i) {
        if (fresh.contains(keys[i])) {
          if (snapshot) snapshot_parts[keys[i]] = {batch[i - start], {}, true};
          continue;
        }
        auto [sub, day] = SplitPartition(keys[i]);
        PC_ASSIGN_OR_RETURN(
            auto stored,
            tx.Query(std::string("SELECT line_hashes FROM usage_partitions WHERE "
                                 "azure_subscription_id = ? AND usage_day = ?") +
                         (tx.dialect() == store::Dialect::kPostgres ? " FOR UPDATE" : ""),
                     {sub, day}));
        if (stored.size() != 1) return Internal("usage partition vanished inside the transaction");
        PC_ASSIGN_OR_RETURN(auto held, HashesFromHex(stored[0].Text(0)));
        const auto& mine = batch[i - start];
        if (snapshot) {
          // The source's last snapshot of the partition is replaced; lines others counted stay.
          PC_ASSIGN_OR_RETURN(auto previous, SnapshotHashes(tx, report.source, sub, day));
          auto other = Minus(held, previous);
          auto counted = Minus(mine, other);
          if (counted == previous) {  // the same lines as the last snapshot: nothing changes
            recount.erase(keys[i]);
            skip.insert(keys[i]);
            ++report.partitions_unchanged;
            continue;
          }
          if (!previous.empty()) ++report.partitions_replaced;
          PC_RETURN_IF_ERROR(SubtractSnapshot(tx, report.source, sub, day, billed, unknown));
          bool all = counted.size() == mine.size();
          if (!all || recount.contains(keys[i])) recount[keys[i]] = other;
          snapshot_parts[keys[i]] = {std::move(counted), std::move(other), false};
          continue;
        }
        if (std::includes(held.begin(), held.end(), mine.begin(), mine.end())) {
          recount.erase(keys[i]);
          skip.insert(keys[i]);  // every line of the file was counted before
        } else {
          recount[keys[i]] = std::move(held);
        }
      }
    }

    // The groups of partitions whose lines all count, written as new rollup rows a batch at a
    // time in key order (rows that exist already are added to below); the groups of the other
    // partitions are recounted in pass 2.
    MappingCache mapping(tx);
    Groups billed_batch, unknown_batch;
    Groups snapshot_groups;  // what this snapshot adds, per partition and group
    auto add_group = [&](const std::string& key, const Sums& sums, bool fresh) -> Status {
      // Only the meter category is free text: it is what lies between the customer and the
      // currency (the last field).
      size_t a = key.find(kSep), b = key.find(kSep, a + 1), c = key.find(kSep, b + 1),
             d = key.rfind(kSep);
      UsageRow probe;
      probe.azure_subscription_id = key.substr(0, a);
      probe.day = key.substr(a + 1, b - a - 1);
      probe.customer_id = key.substr(b + 1, c - b - 1);
      probe.meter_category = key.substr(c + 1, d - c - 1);
      probe.currency = key.substr(d + 1);
      PC_ASSIGN_OR_RETURN(auto alias, mapping.AliasFor(probe));
      GroupKey gk{alias.value_or(""),   probe.customer_id, probe.azure_subscription_id,
                  probe.meter_category, probe.day,         probe.currency};
      Groups& into = fresh ? (alias ? billed_batch : unknown_batch) : (alias ? billed : unknown);
      PC_RETURN_IF_ERROR(
          AddTo(into[gk], sums.quantity, sums.charge, sums.partner_cost, sums.lines));
      MergeRates(into[gk].rates, sums.rates);
      if (snapshot) {
        PC_RETURN_IF_ERROR(
            AddTo(snapshot_groups[gk], sums.quantity, sums.charge, sums.partner_cost, sums.lines));
      }
      (alias ? report.rows_imported : report.rows_unknown) += sums.lines;
      if (alias) touched.insert(*alias);
      if (billed_batch.size() >= kRowsPerStatement) {
        PC_RETURN_IF_ERROR(InsertRollups(tx, billed_batch, true, now, billed));
        billed_batch.clear();
      }
      if (unknown_batch.size() >= kRowsPerStatement) {
        PC_RETURN_IF_ERROR(InsertRollups(tx, unknown_batch, false, now, unknown));
        unknown_batch.clear();
      }
      return {};
    };
    {
      std::vector<const std::pair<const std::string, Sums>*> order;
      order.reserve(usage.groups.size());
      for (const auto& g : usage.groups) {
        std::string_view key = g.first;
        std::string_view part = key.substr(0, key.find(kSep, key.find(kSep) + 1));
        std::string part_key(part);
        if (skip.contains(part_key) || recount.contains(part_key)) continue;
        order.push_back(&g);
      }
      std::sort(order.begin(), order.end(),
                [](const auto* x, const auto* y) { return x->first < y->first; });
      for (const auto* g : order) {
        PC_RETURN_IF_ERROR(add_group(g->first, g->second, true));
      }
      PC_RETURN_IF_ERROR(InsertRollups(tx, billed_batch, true, now, billed));
      PC_RETURN_IF_ERROR(InsertRollups(tx, unknown_batch, false, now, unknown));
      billed_batch.clear();
      unknown_batch.clear();
    }
    usage.groups = {};
    usage.partitions = {};

    // Pass 2 (only when the file repeats lines, or brings lines to partitions held before):
    // the file again, counting each line of those partitions once and only if not held.
    if (!recount.empty()) {
      std::unordered_map<std::string, Sums> groups;
      std::unordered_map<std::string, std::vector<uint64_t>> added;
      PC_ASSIGN_OR_RETURN(auto bytes, source());
      std::unordered_map<std::string, std::unordered_set<uint64_t>> seen;
      std::string key;
      FunctionSink sink([&](const UsageRowView& row) -> Status {
        size_t prefix = GroupKeyOf(row, key);
        std::string part = key.substr(0, prefix);
        auto held = recount.find(part);
        if (held == recount.end()) return {};
        if (std::binary_search(held->second.begin(), held->second.end(), row.line_key)) {
          return {};
        }
        if (!seen[part].insert(row.line_key).second) return {};
        added[part].push_back(row.line_key);
        return AddRow(groups[key], row);
      });
      // One parsing thread: each line is counted once, in file order.
      PC_ASSIGN_OR_RETURN(auto rescan, ScanUsage(std::move(bytes), reader_options, {&sink}));
      (void)rescan;
      for (const auto& [k, sums] : groups) {
        PC_RETURN_IF_ERROR(add_group(k, sums, false));
      }
      // The partitions held before now hold the union.
      for (auto& [part, hashes] : added) {
        if (snapshot) break;  // written below with the snapshot
        const auto& held = recount[part];
        if (held.empty()) continue;  // claimed by this import with the file's own set
        std::vector<uint64_t> all;
        std::sort(hashes.begin(), hashes.end());
        std::merge(held.begin(), held.end(), hashes.begin(), hashes.end(), std::back_inserter(all));
        auto [sub, day] = SplitPartition(part);
        PC_RETURN_IF_ERROR(
            tx.Execute("UPDATE usage_partitions SET line_hashes = ?, "
                       "line_count = ? WHERE azure_subscription_id = ? AND "
                       "usage_day = ?",
                       {HashesHex(all), static_cast<int64_t>(all.size()), sub, day}));
      }
    }
    report.rows_duplicate = usage.rows - report.rows_imported - report.rows_unknown;
    if (snapshot) PC_RETURN_IF_ERROR(RecordSnapshot(tx, report, snapshot_parts, snapshot_groups));

    // Rows that existed already and the recounted groups are added to.
    for (const auto& [key, sums] : billed) touched.insert(key[0]);
    PC_RETURN_IF_ERROR(AddToRollups(tx, billed, true, now));
    PC_RETURN_IF_ERROR(AddToRollups(tx, unknown, false, now));
    json::array rejections;  // kept for operators (GET /api/v1/usage/imports)
    for (const auto& e : report.rejections) {
      rejections.push_back(json::object{
          {"line", e.line}, {"column", e.column}, {"reason", e.reason}, {"message", e.ToString()}});
    }
    PC_RETURN_IF_ERROR(
        tx.Execute("UPDATE usage_imports SET rows_imported = ?, rows_rejected = ?, "
                   "rows_unknown = ?, rows_duplicate = ?, rejections = ? WHERE id = ?",
                   {report.rows_imported, report.rows_rejected, report.rows_unknown,
                    report.rows_duplicate, json::serialize(rejections), report.import_id}));
    PC_RETURN_IF_ERROR(identity::IdentityService::Audit(
        tx, who, std::nullopt, "usage.import", "usage_import", report.import_id,
        json::object{{"file", report.file_name},
                     {"digest", report.digest},
                     {"rowsImported", report.rows_imported},
                     {"rowsRejected", report.rows_rejected},
                     {"rowsUnknownCustomer", report.rows_unknown},
                     {"rowsDuplicate", report.rows_duplicate}}));
    report.billing_aliases.assign(touched.begin(), touched.end());
    if (options.after_import) PC_RETURN_IF_ERROR(options.after_import(tx, report));
    return report;
  };
  auto result = db.InTransaction<ImportReport>(run);
  if (result.ok() || !already_imported) return result;
  ImportReport report;
  report.file_name = options.file_name;
  report.digest = digest;
  report.already_imported = true;
  auto previous = db.InTransaction<store::Rows>([&](store::Transaction& tx) {
    return tx.Query("SELECT format FROM usage_imports WHERE digest = ?", {digest});
  });
  if (previous.ok() && !previous->empty()) report.format = (*previous)[0].Text(0);
  return report;
}

Result<ImportReport> ImportUsageFile(store::Database& db, const identity::Principal& who,
                                     const std::string& path, ImportOptions options) {
  options.file_name = path;
  return ImportUsage(
      db, who, [&path] { return OpenFileSource(path); }, options);
}

std::string_view ImportModeName(ImportMode mode) {
  return mode == ImportMode::kSnapshot ? "snapshot" : "additive";
}

Result<ImportMode> ParseImportMode(std::string_view text) {
  std::string lower(text);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "additive") return ImportMode::kAdditive;
  if (lower == "snapshot") return ImportMode::kSnapshot;
  return InvalidArgument(
      "mode must be 'snapshot' (the file replaces what its source said for "
      "each Azure subscription and day it covers) or 'additive' (the file "
      "adds lines not counted before); got '" +
      std::string(text) + "'");
}

Result<std::vector<Attribution>> AttributeKeptAside(store::Transaction& tx) {
  const std::string lock = tx.dialect() == store::Dialect::kPostgres ? " FOR UPDATE OF u" : "";
  PC_ASSIGN_OR_RETURN(
      auto rows,
      tx.Query("SELECT u.customer_id, u.azure_subscription_id, u.meter_category, u.usage_day, "
               "u.currency, u.quantity, u.charge, u.partner_cost, u.line_count, m.billing_alias, "
               "u.exchange_rates "
               "FROM usage_unknown_rollups u JOIN azure_subscriptions_map m ON "
               "m.azure_subscription_id = u.azure_subscription_id AND u.azure_subscription_id "
               "<> '' AND (m.customer_id = '' OR m.customer_id = u.customer_id) "
               "ORDER BY u.customer_id, u.azure_subscription_id, u.meter_category, u.usage_day, "
               "u.currency" +
               lock));
  std::vector<Attribution> out;
  if (rows.empty()) return out;
  Groups billed;
  std::map<std::tuple<std::string, std::string, std::string, std::string, std::string>, size_t>
      summary;
  std::map<std::pair<std::string, std::string>, std::string> alias_of;  // (sub, customer)
  for (const auto& r : rows) {
    const std::string alias = r.Text(9);
    Decimal v[3];
    for (int i = 0; i < 3; ++i) {
      auto parsed = Decimal::Parse(r.Text(5 + i));
      if (!parsed.ok()) return Internal("a stored rollup is not a decimal");
      v[i] = *parsed;
    }
    PC_RETURN_IF_ERROR(AddTo(billed[BilledKey(alias, r)], v[0], v[1], v[2], r.Int(8)));
    MergeRates(billed[BilledKey(alias, r)].rates, r.Text(10));
    PC_RETURN_IF_ERROR(tx.Execute(
        "DELETE FROM usage_unknown_rollups WHERE customer_id = ? AND azure_subscription_id = ? "
        "AND meter_category = ? AND usage_day = ? AND currency = ?",
        {r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4)}));
    alias_of[{r.Text(1), r.Text(0)}] = alias;
    if (r.Int(8) == 0 && v[1].IsZero() && v[0].IsZero()) continue;  // an emptied group
    auto key = std::make_tuple(alias, r.Text(0), r.Text(1), r.Text(3).substr(0, 7), r.Text(4));
    auto [it, fresh] = summary.emplace(key, out.size());
    if (fresh) {
      out.push_back(Attribution{alias, r.Text(0), r.Text(1), r.Text(3).substr(0, 7), r.Text(4),
                                Decimal(), Decimal(), 0});
    }
    auto& a = out[it->second];
    PC_ASSIGN_OR_RETURN(a.charge, a.charge.Add(v[1]));
    PC_ASSIGN_OR_RETURN(a.quantity, a.quantity.Add(v[0]));
    a.lines += r.Int(8);
  }
  PC_RETURN_IF_ERROR(AddToRollups(tx, billed, true, FormatTimestamp(Now())));
  // Snapshots recorded these groups as kept aside: they are now the alias's, so that the next
  // snapshot takes them back out of the right rollups.
  for (const auto& [who, alias] : alias_of) {
    const auto& [sub, customer] = who;
    PC_ASSIGN_OR_RETURN(auto groups,
                        tx.Query("SELECT source, usage_day, meter_category, currency, quantity, "
                                 "charge, partner_cost, line_count FROM usage_snapshot_groups "
                                 "WHERE azure_subscription_id = ? AND customer_id = ? AND "
                                 "billing_alias = ''",
                                 {sub, customer}));
    for (const auto& g : groups) {
      std::vector<store::Param> key{g.Text(0), sub,       g.Text(1), alias,
                                    customer,  g.Text(2), g.Text(3)};
      PC_RETURN_IF_ERROR(
          tx.Execute("INSERT INTO usage_snapshot_groups (source, azure_subscription_id, usage_day, "
                     "billing_alias, customer_id, meter_category, currency, quantity, charge, "
                     "partner_cost, line_count) VALUES (?, ?, ?, ?, ?, ?, ?, '0', '0', '0', 0) "
                     "ON CONFLICT DO NOTHING",
                     key));
      PC_ASSIGN_OR_RETURN(auto held, tx.Query("SELECT quantity, charge, partner_cost, "
                                              "line_count FROM usage_snapshot_groups WHERE "
                                              "source = ? AND azure_subscription_id = ? AND "
                                              "usage_day = ? AND billing_alias = ? AND "
                                              "customer_id = ? AND meter_category = ? AND "
                                              "currency = ?",
                                              key));
      if (held.size() != 1) return Internal("snapshot group vanished inside the transaction");
      Sums total;
      PC_ASSIGN_OR_RETURN(total.quantity, Decimal::Parse(held[0].Text(0)));
      PC_ASSIGN_OR_RETURN(total.charge, Decimal::Parse(held[0].Text(1)));
      PC_ASSIGN_OR_RETURN(total.partner_cost, Decimal::Parse(held[0].Text(2)));
      total.lines = held[0].Int(3);
      Decimal v[3];
      for (int i = 0; i < 3; ++i) {
        PC_ASSIGN_OR_RETURN(v[i], Decimal::Parse(g.Text(4 + i)));
      }
      PC_RETURN_IF_ERROR(AddTo(total, v[0], v[1], v[2], g.Int(7)));
      std::vector<store::Param> params{total.quantity.ToString(), total.charge.ToString(),
                                       total.partner_cost.ToString(), total.lines};
      params.insert(params.end(), key.begin(), key.end());
      PC_RETURN_IF_ERROR(tx.Execute(
          "UPDATE usage_snapshot_groups SET quantity = ?, charge = ?, partner_cost = ?, "
          "line_count = ? WHERE source = ? AND azure_subscription_id = ? AND usage_day = ? AND "
          "billing_alias = ? AND customer_id = ? AND meter_category = ? AND currency = ?",
          params));
      PC_RETURN_IF_ERROR(tx.Execute(
          "DELETE FROM usage_snapshot_groups WHERE source = ? AND azure_subscription_id = ? AND "
          "usage_day = ? AND billing_alias = '' AND customer_id = ? AND meter_category = ? AND "
          "currency = ?",
          {g.Text(0), sub, g.Text(1), customer, g.Text(2), g.Text(3)}));
    }
  }
  return out;
}

json::object ToJson(const ImportReport& report) {
  json::array rejections;
  for (const auto& e : report.rejections) {
    rejections.push_back(json::object{
        {"line", e.line}, {"column", e.column}, {"reason", e.reason}, {"message", e.ToString()}});
  }
  json::object out{{"fileName", report.file_name},
                   {"format", report.format},
                   {"digest", report.digest},
                   {"alreadyImported", report.already_imported},
                   {"rowsImported", report.rows_imported},
                   {"rowsRejected", report.rows_rejected},
                   {"rowsUnknownCustomer", report.rows_unknown},
                   {"rowsDuplicate", report.rows_duplicate},
                   {"rejections", std::move(rejections)},
                   {"rejectionsTruncated",
                    static_cast<int64_t>(report.rejections.size()) < report.rows_rejected}};
  if (!report.import_id.empty()) out["importId"] = report.import_id;
  out["mode"] = ImportModeName(report.mode);
  if (report.mode == ImportMode::kSnapshot) {
    out["source"] = report.source;
    out["partitionsReplaced"] = report.partitions_replaced;
    out["partitionsUnchanged"] = report.partitions_unchanged;
  }
  return out;
}

}  // namespace pc::billing
