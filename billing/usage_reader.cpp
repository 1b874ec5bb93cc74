#include "billing/usage_reader.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "billing/byte_scan.h"
#include "billing/usage_columns.h"
#include "billing/usage_csv.h"
#include "billing/usage_input.h"
#include "billing/usage_parsers.h"
#include "billing/usage_text.h"
#include "core/time.h"

// The parts of the usage readers, each in its own file under an internal header:
//   usage_text      ASCII case, values quoted for messages, UTF-8 validation
//   usage_input     byte sources, the decoded (gunzipped) stream and the file's SHA-256
//   usage_csv       one CSV record read field by field (the header)
//   usage_columns   the column sets, the checks of a value, line identity: a record → a row
//   usage_json      one JSON line
//   usage_parsers   chunk parsers: whole records of text → rows handed to a sink
// and here: the decoded text cut at record boundaries, the header, and the threads.

namespace pc::billing {

using internal::ChunkParser;
using internal::InputStream;
using internal::kFocusColumns;
using internal::kPcColumns;
using internal::Lower;
using internal::MakeParser;
using internal::NextCsvRecord;
using internal::Schema;
using internal::TextBuffer;

namespace {

constexpr size_t kMaxRecordBytes = 64 << 20;  // one CSV record or JSON line

}  // namespace

std::string_view UsageFormatName(UsageFormat format) {
  switch (format) {
    case UsageFormat::kPartnerCenterCsv:
      return "partner_center_csv";
    case UsageFormat::kGraphJsonLines:
      return "graph_jsonl";
    case UsageFormat::kFocusCsv:
      return "focus_csv";
  }
  return "unknown";
}

std::string RowError::ToString() const {
  std::string out = file + " line " + std::to_string(line);
  if (!column.empty()) out += ", column " + column;
  return out + ": " + reason;
}
// ---------------------------------------------------------------------------------------------
// Chunking: the decoded text cut at record boundaries

namespace {

class Chunker {
 public:
  Chunker(std::unique_ptr<ByteSource> source, const ReaderOptions& options)
      : in_(std::move(source), options.file_name, options.max_expanded_bytes,
            options.max_expansion_ratio),
        options_(options) {}

  TextBuffer& pending() { return pending_; }
  bool eof() const { return eof_; }
  void set_json(bool json) { json_ = json; }
  void set_next_line(int64_t line) { next_line_ = line; }
  // The file's SHA-256: complete once every chunk went through DigestText.
  std::string Digest() const { return in_.Digest(); }
  // Text handed out (or dropped, like the header) must be digested, in file order.
  Status DigestText(std::string_view text) { return in_.DigestText(text); }

  // Reads until pending() holds the first record whole (or all of a small file).
  Status Prime() {
    while (!eof_ && FirstBoundary(pending_.view()) == std::string_view::npos) {
      if (pending_.size() > kMaxRecordBytes) {
        return InvalidArgument(options_.file_name + ": line 1 is longer than " +
                               std::to_string(kMaxRecordBytes >> 20) +
                               " MiB; is this a usage file?");
      }
      PC_RETURN_IF_ERROR(ReadMore(pending_, 64 << 10));
    }
    return {};
  }

  // The position of the '\n' that ends the first record of `text`, or npos.
  size_t FirstBoundary(std::string_view text) const {
    bool quoted = false;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '"' && !json_) quoted = !quoted;
      if (text[i] == '\n' && !quoted) return i;
    }
    return std::string_view::npos;
  }

  // The next chunk of whole records into `text` (its old contents are dropped, its memory
  // reused); false at the end of the input.
  Result<bool> Next(TextBuffer& text, int64_t& first_line) {
    text.Assign(pending_.view());
    pending_.Resize(0);
    size_t target = std::max<size_t>(options_.chunk_bytes, 1);
    while (true) {
      while (!eof_ && text.size() < target) {
        PC_RETURN_IF_ERROR(ReadMore(text, std::max<size_t>(target - text.size(), 4096)));
      }
      if (text.empty()) return false;
      first_line = next_line_;
      if (eof_) {
        next_line_ +=
            static_cast<int64_t>(scan::CountQuotesAndNewlines(text.data(), text.size()).newlines);
        return true;
      }
      size_t lines = 0;
      // The last boundary within the target size (text carried over may be longer).
      size_t boundary = LastBoundary(text.view().substr(0, target), lines);
      if (boundary == std::string_view::npos && text.size() > target) {
        boundary = LastBoundary(text.view(), lines);
      }
      if (boundary == std::string_view::npos && text.size() >= FallbackBytes()) {
        // No line end with an even number of quotes before it in all this text: a misplaced
        // quote has thrown the count off (the parser reports it and resumes on the next line).
        // Cut at the last line end so the rest of the file is read in chunks again.
        const void* nl = memrchr(text.data(), '\n', text.size());
        if (nl != nullptr) {
          boundary = static_cast<size_t>(static_cast<const char*>(nl) - text.data());
          lines = scan::CountQuotesAndNewlines(text.data(), boundary + 1).newlines;
        }
      }
      if (boundary != std::string_view::npos) {
        pending_.Assign(text.view().substr(boundary + 1));
        text.Resize(boundary + 1);
        next_line_ += static_cast<int64_t>(lines);
        return true;
      }
      if (text.size() > kMaxRecordBytes + options_.chunk_bytes) {
        return InvalidArgument(options_.file_name + ": line " + std::to_string(next_line_) +
                               ": a record longer than " + std::to_string(kMaxRecordBytes >> 20) +
                               " MiB (an unterminated quote?)");
      }
      target = text.size() + options_.chunk_bytes;
    }
  }

 private:
  // How much text may go without a record boundary before the quote count is distrusted. A
  // record with line breaks inside quotes longer than this is read as broken rows.
  size_t FallbackBytes() const { return std::max<size_t>(4 * options_.chunk_bytes, 1 << 20); }

  Status ReadMore(TextBuffer& into, size_t max) {
    PC_ASSIGN_OR_RETURN(bool more, in_.ReadInto(into, max));
    if (!more) eof_ = true;
    return {};
  }

  // The last '\n' of `text` outside quotes (an even number of quotes before it), and the number
  // of line breaks up to it; npos if there is none.
  size_t LastBoundary(std::string_view text, size_t& lines) const {
    scan::Counts counts = scan::CountQuotesAndNewlines(text.data(), text.size());
    if (json_) {
      const void* nl = memrchr(text.data(), '\n', text.size());
      lines = counts.newlines;
      return nl == nullptr ? std::string_view::npos
                           : static_cast<size_t>(static_cast<const char*>(nl) - text.data());
    }
    size_t quotes_after = 0, newlines_after = 0;
    for (size_t i = text.size(); i-- > 0;) {
      if (text[i] == '"') {
        ++quotes_after;
      } else if (text[i] == '\n') {
        if ((counts.quotes - quotes_after) % 2 == 0) {
          lines = counts.newlines - newlines_after;
          return i;
        }
        ++newlines_after;
      }
    }
    return std::string_view::npos;
  }

  InputStream in_;
  const ReaderOptions& options_;
  TextBuffer pending_;
  bool json_ = false;
  bool eof_ = false;
  int64_t next_line_ = 1;
};

// Reads the header (or detects JSON lines) from the start of the input and sets the chunker up
// to hand out the records after it.
Result<Schema> ReadSchema(Chunker& chunker, const ReaderOptions& options) {
  const std::string& file = options.file_name;
  PC_RETURN_IF_ERROR(chunker.Prime());
  TextBuffer& start = chunker.pending();
  std::string_view text = start.view();
  if (text.empty()) return InvalidArgument(file + ": the file is empty");
  if (text.size() >= 2 &&
      ((text[0] == '\xff' && text[1] == '\xfe') || (text[0] == '\xfe' && text[1] == '\xff'))) {
    return InvalidArgument(file + ": the file is UTF-16; save it as UTF-8");
  }
  if (text.starts_with("\xef\xbb\xbf")) {
    PC_RETURN_IF_ERROR(chunker.DigestText(text.substr(0, 3)));
    start.Erase(3);
    text = start.view();
  }
  size_t first = text.find_first_not_of(" \t\r\n");
  bool looks_json = first != std::string::npos && text[first] == '{';
  auto container = options.container;
  if (container == ReaderOptions::Container::kAuto) {
    container = looks_json ? ReaderOptions::Container::kJsonLines : ReaderOptions::Container::kCsv;
  }
  Schema schema;
  schema.file = file;
  schema.line_identity = options.line_identity;
  schema.rules.min_day = options.min_day;
  if (options.max_day != 0) {
    schema.rules.max_day = options.max_day;
  } else {
    YearMonth next = YearMonth::Containing(Now()).Next();
    schema.rules.max_day = next.year() * 10000 + next.month() * 100 + next.DaysInMonth();
  }
  if (container == ReaderOptions::Container::kJsonLines) {
    if (!looks_json) {
      return InvalidArgument(file + ": not JSON lines: the first line does not start with '{'");
    }
    schema.json = true;
    schema.format = UsageFormat::kGraphJsonLines;
    chunker.set_json(true);
    return schema;
  }
  // CSV: the header record.
  size_t boundary = chunker.FirstBoundary(text);
  std::string_view header_text =
      text.substr(0, boundary == std::string_view::npos ? text.size() : boundary + 1);
  std::vector<std::string_view> name_views;
  std::string scratch, error, value;
  scratch.reserve(header_text.size());
  size_t pos = 0;
  if (!IsValidUtf8(header_text)) {
    return InvalidArgument(file +
                           ": line 1 (the header) is not valid UTF-8 text; is this a "
                           "usage CSV file?");
  }
  if (!NextCsvRecord(header_text, pos, name_views, scratch, error, value)) {
    return InvalidArgument(file + ": line 1 (the header) " + error);
  }
  std::vector<std::string> names(name_views.begin(), name_views.end());
  std::vector<std::string> lower;
  for (auto& n : names) {
    size_t b = n.find_first_not_of(' '), e = n.find_last_not_of(' ');
    n = b == std::string::npos ? "" : n.substr(b, e - b + 1);
    lower.push_back(Lower(n));
  }
  auto find = [&](const char* name) -> int {
    auto it = std::find(lower.begin(), lower.end(), Lower(name));
    return it == lower.end() ? -1 : static_cast<int>(it - lower.begin());
  };
  auto missing = [&](const auto& specs) {
    std::string out;
    for (const auto& s : specs) {
      if (s.required && find(s.name) < 0) out += (out.empty() ? "" : ", ") + std::string(s.name);
    }
    return out;
  };
  std::string pc_missing = missing(kPcColumns), focus_missing = missing(kFocusColumns);
  if (pc_missing.empty()) {
    schema.format = UsageFormat::kPartnerCenterCsv;
    for (const auto& s : kPcColumns) schema.index.push_back(find(s.name));
  } else if (focus_missing.empty()) {
    schema.format = UsageFormat::kFocusCsv;
    for (const auto& s : kFocusColumns) schema.index.push_back(find(s.name));
  } else {
    bool focusish = find("BilledCost") >= 0 || find("ChargePeriodStart") >= 0;
    return InvalidArgument(
        file + ": line 1 is not the header of a usage file: " +
        (focusish ? "as a FOCUS CSV it lacks the columns " + focus_missing
                  : "as a Partner Center daily rated usage CSV it lacks the columns " + pc_missing +
                        " (a FOCUS file needs BilledCost, ChargePeriodStart, SubAccountId, ...)"));
  }
  for (size_t i = 0; i < lower.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (!lower[i].empty() && lower[i] == lower[j]) {
        return InvalidArgument(file + ": line 1 names the column " + names[i] + " twice");
      }
    }
  }
  schema.header_size = names.size();
  schema.header_names = names;
  int64_t header_lines =
      std::count(header_text.begin(), header_text.begin() + static_cast<std::ptrdiff_t>(pos), '\n');
  PC_RETURN_IF_ERROR(chunker.DigestText(text.substr(0, pos)));
  start.Erase(pos);
  chunker.set_next_line(1 + header_lines);
  return schema;
}

// Keeps the rows and rejections of one chunk as values.
class CollectSink : public UsageSink {
 public:
  explicit CollectSink(UsageBatch& batch) : batch_(batch) {}
  Status Row(const UsageRowView& v) override {
    batch_.rows.push_back(ToUsageRow(v));
    return {};
  }
  void Reject(RowError error) override { batch_.errors.push_back(std::move(error)); }

 private:
  UsageBatch& batch_;
};

class Reader : public UsageReader {
 public:
  Reader(std::unique_ptr<ByteSource> source, ReaderOptions options)
      : options_(std::move(options)), chunker_(std::move(source), options_) {}

  Status Start() {
    PC_ASSIGN_OR_RETURN(schema_, ReadSchema(chunker_, options_));
    int threads = std::max(1, options_.threads);
    for (int i = 0; i < threads; ++i) {
      parsers_.push_back(MakeParser(schema_));
      buffers_.emplace_back();
    }
    return {};
  }

  UsageFormat format() const override { return schema_.format; }
  std::string Digest() const override { return chunker_.Digest(); }

  Result<std::optional<UsageBatch>> Next() override {
    std::vector<int64_t> first_lines;
    while (first_lines.size() < parsers_.size()) {
      int64_t first_line = 0;
      TextBuffer& buffer = buffers_[first_lines.size()];
      PC_ASSIGN_OR_RETURN(bool more, chunker_.Next(buffer, first_line));
      if (!more) break;
      PC_RETURN_IF_ERROR(chunker_.DigestText(buffer.view()));
      first_lines.push_back(first_line);
    }
    if (first_lines.empty()) return std::optional<UsageBatch>();
    std::vector<UsageBatch> parsed(first_lines.size());
    auto parse = [&](size_t i) {
      CollectSink sink(parsed[i]);
      (void)parsers_[i]->Parse(buffers_[i].view(), first_lines[i], sink);  // never fails
    };
    std::vector<std::thread> workers;
    for (size_t i = 1; i < first_lines.size(); ++i) workers.emplace_back(parse, i);
    parse(0);
    for (auto& w : workers) w.join();
    UsageBatch out = std::move(parsed[0]);
    for (size_t i = 1; i < parsed.size(); ++i) {
      std::move(parsed[i].rows.begin(), parsed[i].rows.end(), std::back_inserter(out.rows));
      std::move(parsed[i].errors.begin(), parsed[i].errors.end(), std::back_inserter(out.errors));
    }
    return std::optional<UsageBatch>(std::move(out));
  }

 private:
  ReaderOptions options_;
  Chunker chunker_;
  Schema schema_;
  std::vector<std::unique_ptr<ChunkParser>> parsers_;
  std::vector<TextBuffer> buffers_;
};

// Passes rows on and notes that a row was rejected.
class WatchingSink : public UsageSink {
 public:
  WatchingSink(UsageSink& inner, std::atomic<bool>& rejected)
      : inner_(inner), rejected_(rejected) {}
  Status Row(const UsageRowView& row) override { return inner_.Row(row); }
  void Reject(RowError error) override {
    rejected_ = true;
    inner_.Reject(std::move(error));
  }

 private:
  UsageSink& inner_;
  std::atomic<bool>& rejected_;
};

}  // namespace

UsageRow ToUsageRow(const UsageRowView& v) {
  UsageRow row;
  row.line = v.line;
  row.customer_id = std::string(v.customer_id);
  row.azure_subscription_id = std::string(v.azure_subscription_id);
  row.meter_category = std::string(v.meter_category);
  row.day = FormatDay(v.day);
  row.currency = std::string(v.currency);
  row.quantity = v.quantity;
  row.charge = v.charge;
  row.partner_cost = v.partner_cost;
  if (v.exchange_rate) row.exchange_rate = v.exchange_rate->ToString();
  row.line_key = v.line_key;
  return row;
}

std::string FormatDay(int32_t day) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", (day / 10000) % 10000, (day / 100) % 100,
                day % 100);
  return buf;
}

Result<std::unique_ptr<UsageReader>> UsageReader::Open(std::unique_ptr<ByteSource> source,
                                                       ReaderOptions options) {
  auto reader = std::make_unique<Reader>(std::move(source), std::move(options));
  PC_RETURN_IF_ERROR(reader->Start());
  return std::unique_ptr<UsageReader>(std::move(reader));
}

Result<ScanResult> ScanUsage(std::unique_ptr<ByteSource> source, const ReaderOptions& options,
                             const std::vector<UsageSink*>& sinks, bool stop_on_reject) {
  if (sinks.empty()) return Internal("ScanUsage needs at least one sink");
  Chunker chunker(std::move(source), options);
  PC_ASSIGN_OR_RETURN(Schema schema, ReadSchema(chunker, options));

  struct Item {
    TextBuffer text;
    int64_t first_line = 0;
    uint64_t seq = 0;  // chunks are numbered in file order
  };
  std::mutex mu;
  std::condition_variable has_item, has_room;
  std::deque<Item> queue;
  std::vector<TextBuffer> spare;
  bool closed = false;
  std::atomic<bool> stop{false}, rejected{false};
  std::optional<Error> failure;
  const size_t capacity = sinks.size() + 1;
  // The workers digest their chunks (SHA-256 is a third of the work of a plain file: the
  // reading thread would be the bottleneck), each in its turn: chunk n after chunk n - 1. A
  // worker digests its chunk before parsing it, so a later chunk is never parsed before an
  // earlier one has been taken on; the digest also brings the chunk into the worker's cache.
  std::mutex digest_mu;
  std::condition_variable digest_turn;
  uint64_t digest_next = 0;
  auto halt = [&] {
    stop = true;
    { std::lock_guard lock(digest_mu); }  // a worker checking its turn sees `stop`
    digest_turn.notify_all();
  };

  std::vector<std::thread> workers;
  for (UsageSink* sink : sinks) {
    workers.emplace_back([&, sink] {
      auto parser = MakeParser(schema);
      WatchingSink watched(*sink, rejected);
      while (true) {
        Item item;
        {
          std::unique_lock lock(mu);
          has_item.wait(lock, [&] { return !queue.empty() || closed; });
          if (queue.empty()) return;
          item = std::move(queue.front());
          queue.pop_front();
        }
        has_room.notify_one();
        // Once the scan stops, the chunks not yet digested come after every chunk being parsed:
        // they can be dropped without losing an earlier row.
        Status status;
        {
          std::unique_lock lock(digest_mu);
          digest_turn.wait(lock, [&] { return digest_next == item.seq || stop; });
          if (!stop) {
            status = chunker.DigestText(item.text.view());
            ++digest_next;
          }
        }
        digest_turn.notify_all();
        bool parse = !stop && status.ok();
        if (parse) status = parser->Parse(item.text.view(), item.first_line, watched);
        if (!status.ok()) {
          {
            std::lock_guard lock(mu);
            if (!failure) failure = status.error();
          }
          halt();
        } else if (parse && stop_on_reject && rejected) {
          halt();
        }
        std::lock_guard lock(mu);
        spare.push_back(std::move(item.text));
      }
    });
  }

  std::optional<Error> read_error;
  uint64_t seq = 0;
  while (!stop) {
    TextBuffer buffer;
    {
      std::lock_guard lock(mu);
      if (!spare.empty()) {
        buffer = std::move(spare.back());
        spare.pop_back();
      }
    }
    int64_t first_line = 0;
    auto more = chunker.Next(buffer, first_line);
    if (!more.ok()) {
      read_error = more.error();
      break;
    }
    if (!*more) break;
    std::unique_lock lock(mu);
    has_room.wait(lock, [&] { return queue.size() < capacity || stop; });
    queue.push_back(Item{std::move(buffer), first_line, seq++});
    has_item.notify_one();
  }
  {
    std::lock_guard lock(mu);
    closed = true;
  }
  has_item.notify_all();
  for (auto& w : workers) w.join();
  if (failure) return *failure;
  if (read_error) return *read_error;
  return ScanResult{schema.format, chunker.Digest()};
}

}  // namespace pc::billing
