#include "billing/usage_parsers.h"

#include <algorithm>
#include <optional>

#include "billing/byte_scan.h"
#include "billing/usage_json.h"
#include "billing/usage_text.h"

namespace pc::billing::internal {

namespace {

// Lower-case key and alias of each Partner Center column.
const std::vector<std::pair<std::string, std::string>>& JsonKeys() {
  static const auto* keys = [] {
    auto* k = new std::vector<std::pair<std::string, std::string>>;
    for (const auto& c : kPcColumns) {
      k->emplace_back(Lower(c.name), *c.alias ? Lower(c.alias) : std::string("\x01"));
    }
    return k;
  }();
  return *keys;
}

class JsonChunkParser : public ChunkParser {
 public:
  explicit JsonChunkParser(const Schema& schema) : schema_(schema), view_(kPcColumnCount) {}

  Status Parse(std::string_view text, int64_t first_line, UsageSink& sink) override {
    int64_t line = first_line;
    size_t pos = 0;
    UsageRowView row;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      size_t end = nl == std::string_view::npos ? text.size() : nl;
      std::string_view one = text.substr(pos, end - pos);
      pos = end + 1;
      int64_t this_line = line++;
      if (one.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      RowContext ctx{schema_.file, this_line, sink};
      fields_.clear();
      std::string error;
      if (!ParseJsonLine(one, fields_, error)) {
        ctx.Error("", error);
        continue;
      }
      std::fill(view_.begin(), view_.end(), std::string_view());
      for (const auto& f : fields_) {
        if (f.null) continue;
        for (size_t i = 0; i < kPcColumns.size(); ++i) {
          if (f.key == JsonKeys()[i].first || f.key == JsonKeys()[i].second) view_[i] = f.value;
        }
      }
      if (MapPartnerCenter(ctx, schema_.line_identity, schema_.rules, view_, true, true, scratch_,
                           row)) {
        PC_RETURN_IF_ERROR(sink.Row(row));
      }
    }
    return {};
  }

 private:
  const Schema& schema_;
  std::vector<JsonField> fields_;
  RowView view_;
  RowScratch scratch_;
};

// CSV: the structure (quotes, separators, line ends) comes from the byte masks, 64 bytes at a
// time: a separator is a ',' or '\n' outside quotes, and "outside quotes" is the prefix XOR of
// the quote bits. A record with a quote where RFC 4180 allows none is reported and reading
// resumes on the next physical line, as a person reading the file would.
class CsvChunkParser : public ChunkParser {
 public:
  explicit CsvChunkParser(const Schema& schema)
      : schema_(schema),
        focus_(schema.format == UsageFormat::kFocusCsv),
        view_(schema.index.size()) {}

  Status Parse(std::string_view text, int64_t first_line, UsageSink& sink) override {
    text_ = text;
    scan::Classify(text.data(), text.size(), masks_);
    int64_t line = first_line;
    size_t pos = 0;  // start of the current record
    const size_t n = text.size();
  restart:
    while (pos < n) {
      Record rec;
      ends_.clear();
      uint64_t carry = 0;  // all ones while inside quotes across a block boundary
      bool done = false;
      size_t k = pos / 64;
      unsigned cursor = static_cast<unsigned>(pos % 64);
      for (; k < masks_.size(); ++k, cursor = 0) {
        const scan::Masks& m = masks_[k];
        const uint64_t valid = scan::BitRange(cursor, 64);
        const uint64_t quotes = m.quote & valid;
        const uint64_t inside = scan::PrefixXor(quotes) ^ carry;
        carry = static_cast<uint64_t>(static_cast<int64_t>(inside) >> 63);
        uint64_t seps = (m.comma | m.newline) & ~inside & valid;
        while (seps != 0) {
          unsigned b = static_cast<unsigned>(__builtin_ctzll(seps));
          seps &= seps - 1;
          size_t p = k * 64 + b;
          ends_.push_back(static_cast<uint32_t>(p));
          if ((m.newline >> b & 1) == 0) continue;
          rec.Add(m, inside, scan::BitRange(cursor, b + 1));
          rec.end = p;
          rec.terminated = true;
          std::optional<size_t> resume;
          PC_RETURN_IF_ERROR(Emit(pos, rec, line, sink, resume));
          if (resume) {
            line += LineBreaks(pos, *resume);
            pos = *resume;
            goto restart;
          }
          line += 1 + static_cast<int64_t>(rec.quoted_newlines);
          pos = p + 1;
          rec = Record();
          ends_.clear();
          cursor = b + 1;
          if (cursor == 64) break;
        }
        if (cursor < 64) rec.Add(m, inside, scan::BitRange(cursor, 64));
        if (pos >= n) {
          done = true;
          break;
        }
      }
      if (done || pos >= n) break;
      // The last record has no line end.
      ends_.push_back(static_cast<uint32_t>(n));
      rec.end = n;
      rec.terminated = false;
      rec.open_quote = carry != 0;
      std::optional<size_t> resume;
      PC_RETURN_IF_ERROR(Emit(pos, rec, line, sink, resume));
      if (resume) {
        line += LineBreaks(pos, *resume);
        pos = *resume;
        continue;
      }
      break;
    }
    return {};
  }

 private:
  // What the masks say about the record being read.
  struct Record {
    size_t end = 0;           // position of its '\n' (or of the end of the text)
    bool terminated = false;  // ends with '\n'
    bool open_quote = false;  // the text ends inside quotes
    size_t quotes = 0;
    size_t quoted_newlines = 0;  // line breaks inside quoted fields
    size_t crs = 0;
    bool high = false;  // has non-ASCII bytes
    void Add(const scan::Masks& m, uint64_t inside, uint64_t range) {
      quotes += static_cast<size_t>(scan::Popcount(m.quote & range));
      quoted_newlines += static_cast<size_t>(scan::Popcount(m.newline & inside & range));
      crs += static_cast<size_t>(scan::Popcount(m.cr & range));
      high = high || (m.high & range) != 0;
    }
  };

  int64_t LineBreaks(size_t from, size_t to) const {
    return std::count(text_.begin() + static_cast<std::ptrdiff_t>(from),
                      text_.begin() + static_cast<std::ptrdiff_t>(to), '\n');
  }

  // The position after the line break that follows `at` (the end of the text if none).
  size_t NextLine(size_t at) const {
    size_t nl = text_.find('\n', at);
    return nl == std::string_view::npos ? text_.size() : nl + 1;
  }

  // Splits the record [start, rec.end) into fields_ (unquoting), checks it and hands its row
  // to the sink. `resume` is set when reading must go on from another place than the next
  // record (after a misplaced quote).
  Status Emit(size_t start, const Record& rec, int64_t line, UsageSink& sink,
              std::optional<size_t>& resume) {
    RowContext ctx{schema_.file, line, sink};
    const size_t count = ends_.size();
    fields_.resize(count);
    scratch_.clear();
    scratch_.reserve(rec.end - start);  // unescaped text never outgrows the record
    // The fields as they are written; then the quoted ones unquoted.
    const char* base = text_.data();
    std::string_view* fields = fields_.data();
    const uint32_t* ends = ends_.data();
    quoted_.clear();
    for (size_t i = 0, s = start; i < count; ++i) {
      size_t e = ends[i];
      fields[i] = std::string_view(base + s, e - s);
      if (e > s && base[s] == '"') quoted_.push_back(static_cast<uint32_t>(i));
      s = e + 1;
    }
    bool strip_cr = false;
    if (!fields[count - 1].empty() && fields[count - 1].back() == '\r') {  // CRLF
      fields[count - 1].remove_suffix(1);
      strip_cr = true;
    }
    size_t quotes_used = 0;
    for (uint32_t i : quoted_) {
      std::string_view raw = fields[i];
      size_t s = static_cast<size_t>(raw.data() - base);
      bool last = i + 1 == count;
      if (raw.size() < 2 || raw.back() != '"' || (rec.open_quote && last)) {
        if (HasStrayQuote(start, i)) return StrayQuote(ctx, start, i, resume);
        size_t close = raw.find('"', 1);
        if ((rec.open_quote && last) || close == std::string_view::npos) {
          ctx.Error("", "has an unterminated quoted field (the file may be truncated)");
          resume = text_.size();
          return {};
        }
        ctx.Error("", "has text after a closing quote: " + Quote(raw.substr(1, close - 1)));
        resume = NextLine(s + close);
        return {};
      }
      std::string_view inner(raw.data() + 1, raw.size() - 2);
      quotes_used += 2;
      size_t q = inner.find('"');
      if (q == std::string_view::npos) {
        fields[i] = inner;
        continue;
      }
      size_t begin = scratch_.size();
      size_t from = 0;
      while (q != std::string_view::npos) {
        if (q + 1 >= inner.size() || inner[q + 1] != '"') {
          if (HasStrayQuote(start, i)) return StrayQuote(ctx, start, i, resume);
          ctx.Error("", "has text after a closing quote: " + Quote(inner.substr(0, q)));
          resume = NextLine(s + 1 + q);
          return {};
        }
        scratch_.append(inner.data() + from, q + 1 - from);
        quotes_used += 2;
        from = q + 2;
        q = inner.find('"', from);
      }
      scratch_.append(inner.data() + from, inner.size() - from);
      fields[i] = std::string_view(scratch_).substr(begin);
    }
    if (quotes_used != rec.quotes && HasStrayQuote(start, count - 1)) {
      return StrayQuote(ctx, start, count - 1, resume);
    }
    if (count == 1 && fields_[0].empty()) return {};  // a blank line
    if (count != schema_.header_size) {
      ctx.Error("", "has " + std::to_string(count) + " fields, the header has " +
                        std::to_string(schema_.header_size) +
                        (count < schema_.header_size ? " (the row may be truncated)" : ""));
      return {};
    }
    if (rec.high && !IsValidUtf8(text_.substr(start, rec.end - start))) {
      for (size_t i = 0; i < count; ++i) {  // name the first field that is not UTF-8
        if (!IsValidUtf8(fields_[i])) {
          ctx.Error(schema_.header_names[i], Quote(fields_[i]) + " is not valid UTF-8 text");
          return {};
        }
      }
    }
    for (size_t i = 0; i < view_.size(); ++i) {
      int at = schema_.index[i];
      view_[i] = at < 0 ? std::string_view() : fields_[at];
    }
    bool may_have_cr = rec.crs > (strip_cr ? 1u : 0u);
    const LineIdentityKey& key = schema_.line_identity;
    const RowRules& rules = schema_.rules;
    bool ok =
        focus_ ? MapFocus(ctx, key, rules, view_, may_have_cr, row_scratch_, row_)
               : MapPartnerCenter(ctx, key, rules, view_, false, may_have_cr, row_scratch_, row_);
    if (ok) return sink.Row(row_);
    return {};
  }

  // True if an unquoted field before field `upto` (or field `upto` itself, unquoted) of the
  // record starting at `start` holds a quote.
  bool HasStrayQuote(size_t start, size_t upto) const {
    for (size_t i = 0; i <= upto && i < ends_.size(); ++i) {
      size_t s = i == 0 ? start : ends_[i - 1] + 1;
      std::string_view raw = text_.substr(s, ends_[i] - s);
      if (!raw.empty() && raw[0] != '"' && raw.find('"') != std::string_view::npos) return true;
    }
    return false;
  }

  // Reports the first unquoted field (up to `upto`) that holds a quote; reading resumes on the
  // line after that quote.
  Status StrayQuote(RowContext& ctx, size_t start, size_t upto, std::optional<size_t>& resume) {
    for (size_t i = 0; i <= upto && i < ends_.size(); ++i) {
      size_t s = i == 0 ? start : ends_[i - 1] + 1;
      std::string_view raw = text_.substr(s, ends_[i] - s);
      size_t q = raw.empty() || raw[0] == '"' ? std::string_view::npos : raw.find('"');
      if (q == std::string_view::npos) continue;
      // The field as a person reads it: up to the next comma or line end after the quote.
      std::string_view shown = raw.substr(0, raw.find_first_of(",\n", q));
      if (!shown.empty() && shown.back() == '\r') shown.remove_suffix(1);
      ctx.Error("", "has a quote inside an unquoted field: " + Quote(shown));
      resume = NextLine(s + q);
      return {};
    }
    resume = NextLine(start);
    return {};
  }

  const Schema& schema_;
  bool focus_;
  std::string_view text_;
  std::vector<scan::Masks> masks_;
  std::vector<uint32_t> ends_;
  std::vector<std::string_view> fields_;
  std::vector<uint32_t> quoted_;  // the fields that start with a quote
  std::string scratch_;
  RowView view_;
  RowScratch row_scratch_;
  UsageRowView row_;
};
}  // namespace

std::unique_ptr<ChunkParser> MakeParser(const Schema& schema) {
  if (schema.json) return std::make_unique<JsonChunkParser>(schema);
  return std::make_unique<CsvChunkParser>(schema);
}

}  // namespace pc::billing::internal
