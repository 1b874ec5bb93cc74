#include "billing/usage_reader.h"

#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <thread>

namespace pc::billing {

namespace {

constexpr size_t kMaxRecordBytes = 64 << 20;  // one CSV record or JSON line
constexpr size_t kReadBlock = 1 << 20;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// The value as it appears in a message: quoted, shortened, control and non-UTF-8 bytes escaped.
std::string Quote(std::string_view v) {
  size_t n = std::min<size_t>(v.size(), 60);
  bool utf8 = IsValidUtf8(v.substr(0, n));
  std::string out = "\"";
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(v[i]);
    if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8)) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else if (c == '"') {
      out += "\\\"";
    } else {
      out += static_cast<char>(c);
    }
  }
  if (v.size() > n) out += "...";
  return out + "\"";
}

}  // namespace

std::string_view UsageFormatName(UsageFormat format) {
  switch (format) {
    case UsageFormat::kPartnerCenterCsv: return "partner_center_csv";
    case UsageFormat::kGraphJsonLines: return "graph_jsonl";
    case UsageFormat::kFocusCsv: return "focus_csv";
  }
  return "unknown";
}

std::string RowError::ToString() const {
  std::string out = file + " line " + std::to_string(line);
  if (!column.empty()) out += ", column " + column;
  return out + ": " + reason;
}

bool IsValidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size(), i = 0;
  while (i < n) {
    // ASCII fast path: eight bytes at a time while no byte has its high bit set.
    while (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, s + i, 8);
      if ((word & 0x8080808080808080ULL) != 0) break;
      i += 8;
    }
    if (i >= n) break;
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      len = 2, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += len;
  }
  return true;
}

Result<Decimal> ParseUsageNumber(std::string_view text, bool allow_exponent) {
  auto fail = [&](std::string why) { return InvalidArgument(Quote(text) + " " + why); };
  if (text.empty()) return InvalidArgument("is empty; a number is required");
  // Fast path: the plain decimals usage files are made of ("12.5", "-0.25").
  if (text.size() <= 40 && std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= '0' && c <= '9') || c == '.' || c == '-';
      })) {
    auto d = Decimal::Parse(text);
    if (d.ok()) {
      if (d->IsZero() && text[0] == '-') return fail("is a negative zero; write 0");
      return *d;
    }
  }
  std::string lower = Lower(text);
  if (lower.find("nan") != std::string::npos || lower.find("inf") != std::string::npos) {
    return fail("is not a number; write a plain decimal such as 12.5");
  }
  if (text.find(',') != std::string_view::npos) {
    return fail("has a thousands or decimal comma; write it without grouping, with a '.'"
                " (e.g. 1234.5)");
  }
  size_t e = lower.find('e');
  std::string_view mantissa_text = text.substr(0, e);
  int exponent = 0;
  if (e != std::string::npos) {
    if (!allow_exponent) {
      return fail("is not a plain decimal number (no exponent allowed; write e.g. 0.00005)");
    }
    std::string_view exp = text.substr(e + 1);
    size_t i = 0;
    bool negative = false;
    if (i < exp.size() && (exp[i] == '+' || exp[i] == '-')) negative = exp[i++] == '-';
    if (i == exp.size()) return fail("has an empty exponent");
    long value = 0;
    for (; i < exp.size(); ++i) {
      if (exp[i] < '0' || exp[i] > '9') return fail("has a malformed exponent");
      value = value * 10 + (exp[i] - '0');
      if (value > 1000) return fail("is out of range (exponent too large)");
    }
    exponent = static_cast<int>(negative ? -value : value);
  }
  auto parsed = Decimal::Parse(mantissa_text);
  if (!parsed.ok()) {
    return fail("is not a plain decimal number (" + parsed.error().message + ")");
  }
  Decimal d = *parsed;
  if (d.IsZero() && !mantissa_text.empty() && mantissa_text[0] == '-') {
    return fail("is a negative zero; write 0");
  }
  if (exponent == 0) return d;
  Int128 mantissa = d.mantissa();
  int scale = d.scale() - exponent;
  while (scale < 0) {
    // 10^36 bound is checked by FromParts; stop multiplying well before Int128 overflows.
    if (mantissa > Int128(1) << 120 || mantissa < -(Int128(1) << 120)) {
      return fail("is out of range");
    }
    mantissa *= 10;
    ++scale;
  }
  if (scale > Decimal::kMaxScale) {
    return fail("has more than " + std::to_string(Decimal::kMaxScale) + " decimal places");
  }
  auto out = Decimal::FromParts(mantissa, scale);
  if (!out.ok()) return fail("is out of range");
  return *out;
}

// ---------------------------------------------------------------------------------------------
// Byte sources

namespace {

class FileSource : public ByteSource {
 public:
  FileSource(std::FILE* f, std::string path) : f_(f), path_(std::move(path)) {}
  ~FileSource() override { std::fclose(f_); }
  Result<size_t> Read(char* buffer, size_t capacity) override {
    size_t n = std::fread(buffer, 1, capacity, f_);
    if (n == 0 && std::ferror(f_)) return InvalidArgument(path_ + ": read error");
    return n;
  }

 private:
  std::FILE* f_;
  std::string path_;
};

class MemSource : public ByteSource {
 public:
  explicit MemSource(std::string_view bytes) : bytes_(bytes) {}
  Result<size_t> Read(char* buffer, size_t capacity) override {
    size_t n = std::min(capacity, bytes_.size() - pos_);
    std::memcpy(buffer, bytes_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

// The decoded byte stream: digests the raw bytes and gunzips them when they are gzip.
class InputStream {
 public:
  InputStream(std::unique_ptr<ByteSource> source, std::string name)
      : source_(std::move(source)), name_(std::move(name)), sha_(EVP_MD_CTX_new()) {
    // OpenSSL's SHA-256 uses the CPU's SHA extensions where present (several times faster
    // than a portable implementation on a 1.5 GB file).
    if (sha_ != nullptr) EVP_DigestInit_ex(sha_, EVP_sha256(), nullptr);
  }
  ~InputStream() {
    if (gzip_) inflateEnd(&z_);
    EVP_MD_CTX_free(sha_);
  }
  InputStream(const InputStream&) = delete;
  InputStream& operator=(const InputStream&) = delete;

  // Appends up to about kReadBlock decoded bytes to `out`; returns false at the end.
  Result<bool> ReadInto(std::string& out) {
    if (!started_) {
      started_ = true;
      PC_RETURN_IF_ERROR(FillRaw());
      if (raw_.size() >= 2 && static_cast<unsigned char>(raw_[0]) == 0x1f &&
          static_cast<unsigned char>(raw_[1]) == 0x8b) {
        gzip_ = true;
        std::memset(&z_, 0, sizeof z_);
        if (inflateInit2(&z_, 15 + 16) != Z_OK) return Internal("zlib initialisation failed");
      }
    }
    if (!gzip_) {
      if (raw_pos_ == raw_.size()) {
        PC_RETURN_IF_ERROR(FillRaw());
        if (raw_.empty()) return false;
      }
      out.append(raw_, raw_pos_, std::string::npos);
      raw_pos_ = raw_.size();
      return true;
    }
    if (stream_done_ && raw_pos_ == raw_.size()) {
      PC_RETURN_IF_ERROR(FillRaw());
      if (raw_.empty()) return false;
    }
    size_t start = out.size();
    out.resize(start + kReadBlock);
    size_t produced = 0;
    while (produced == 0) {
      if (raw_pos_ == raw_.size()) {
        PC_RETURN_IF_ERROR(FillRaw());
        if (raw_.empty()) {
          out.resize(start);
          if (!stream_done_) {
            return InvalidArgument(name_ + ": the gzip data is truncated (the file ends before "
                                           "the compressed stream does)");
          }
          return false;
        }
      }
      if (stream_done_) {  // another gzip member follows (concatenated gzip)
        if (inflateReset(&z_) != Z_OK) return Internal("zlib reset failed");
        stream_done_ = false;
      }
      z_.next_in = reinterpret_cast<Bytef*>(raw_.data() + raw_pos_);
      z_.avail_in = static_cast<uInt>(raw_.size() - raw_pos_);
      z_.next_out = reinterpret_cast<Bytef*>(out.data() + start);
      z_.avail_out = static_cast<uInt>(kReadBlock);
      int rc = inflate(&z_, Z_NO_FLUSH);
      raw_pos_ = raw_.size() - z_.avail_in;
      produced = kReadBlock - z_.avail_out;
      if (rc == Z_STREAM_END) {
        stream_done_ = true;
        if (produced == 0 && raw_pos_ == raw_.size()) {
          PC_RETURN_IF_ERROR(FillRaw());
          if (raw_.empty()) {
            out.resize(start);
            return false;
          }
        }
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        out.resize(start);
        return InvalidArgument(name_ + ": the gzip data is corrupt (" +
                               std::string(z_.msg ? z_.msg : "inflate failed") + ")");
      }
    }
    out.resize(start + produced);
    return true;
  }

  std::string Digest() {
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_MD_CTX* copy = EVP_MD_CTX_new();
    if (copy == nullptr || sha_ == nullptr || EVP_MD_CTX_copy_ex(copy, sha_) != 1 ||
        EVP_DigestFinal_ex(copy, d, &len) != 1) {
      len = 0;
    }
    EVP_MD_CTX_free(copy);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < len; ++i) {
      hex += kHex[d[i] >> 4];
      hex += kHex[d[i] & 15];
    }
    return hex;
  }

 private:
  Status FillRaw() {
    raw_.resize(kReadBlock);
    PC_ASSIGN_OR_RETURN(size_t n, source_->Read(raw_.data(), raw_.size()));
    raw_.resize(n);
    raw_pos_ = 0;
    if (sha_ == nullptr || EVP_DigestUpdate(sha_, raw_.data(), n) != 1) {
      return Internal("SHA-256 of the file failed");
    }
    return {};
  }

  std::unique_ptr<ByteSource> source_;
  std::string name_;
  EVP_MD_CTX* sha_;
  std::string raw_;
  size_t raw_pos_ = 0;
  bool started_ = false;
  bool gzip_ = false;
  bool stream_done_ = false;
  z_stream z_;
};

// ---------------------------------------------------------------------------------------------
// CSV records

// Parses one record at `pos` of `text` (which holds whole records) and advances past its line
// terminator. Fields are views into `text`, or into `scratch` for quoted fields with doubled
// quotes; `scratch` must have capacity for the record (it is appended to, never reallocated).
// Returns false with `error` set for a malformed record (pos still advances).
bool NextCsvRecord(std::string_view text, size_t& pos, std::vector<std::string_view>& fields,
                   std::string& scratch, std::string& error, std::string& error_value) {
  fields.clear();
  error.clear();
  size_t n = text.size();
  auto skip_to_line_end = [&] {
    size_t nl = text.find('\n', pos);
    pos = nl == std::string_view::npos ? n : nl + 1;
  };
  while (true) {
    std::string_view field;
    if (pos < n && text[pos] == '"') {
      ++pos;
      size_t q = text.find('"', pos);
      if (q != std::string_view::npos && (q + 1 >= n || text[q + 1] != '"')) {
        field = text.substr(pos, q - pos);  // no doubled quotes: a view into the text
        pos = q + 1;
      } else {
        size_t begin = scratch.size();
        while (true) {
          if (q == std::string_view::npos) {
            error = "has an unterminated quoted field (the file may be truncated)";
            pos = n;
            return false;
          }
          scratch.append(text.substr(pos, q - pos));
          pos = q + 1;
          if (pos < n && text[pos] == '"') {
            scratch += '"';
            ++pos;
            q = text.find('"', pos);
            continue;
          }
          break;
        }
        field = std::string_view(scratch).substr(begin);
      }
      if (pos < n && text[pos] == '\r' && pos + 1 < n && text[pos + 1] == '\n') ++pos;
      if (pos < n && text[pos] != ',' && text[pos] != '\n') {
        error = "has text after a closing quote";
        error_value = std::string(field);
        skip_to_line_end();
        return false;
      }
    } else {
      size_t end = pos;
      while (end < n && text[end] != ',' && text[end] != '\n') ++end;
      std::string_view raw = text.substr(pos, end - pos);
      if ((end == n || text[end] == '\n') && !raw.empty() && raw.back() == '\r') {
        raw.remove_suffix(1);
      }
      if (raw.find('"') != std::string_view::npos) {
        error = "has a quote inside an unquoted field";
        error_value = std::string(raw);
        pos = end;
        skip_to_line_end();
        return false;
      }
      field = raw;
      pos = end;
    }
    fields.push_back(field);
    if (pos >= n) return true;
    if (text[pos] == ',') {
      ++pos;
      continue;
    }
    ++pos;  // '\n'
    return true;
  }
}

// ---------------------------------------------------------------------------------------------
// Column sets

struct ColumnSpec {
  const char* name;        // canonical spelling, used in messages
  const char* alias;       // camelCase alternative in JSON ("" if none)
  bool required;           // the header (or JSON object) must have it
};

// Partner Center daily rated usage, CSV and JSON lines. Every column is part of the line key
// except names and descriptions, InvoiceNumber (the same line is first unbilled, then billed)
// and the Benefit* columns.
enum PcColumn {
  kPcCustomerId, kPcEntitlementId, kPcMeterCategory, kPcUsageDate, kPcUnitPrice, kPcQuantity,
  kPcBillingPreTaxTotal, kPcBillingCurrency, kPcPricingCurrency, kPcSubscriptionId,
  kPcChargeStartDate, kPcChargeEndDate, kPcMeterId, kPcMeterSubCategory, kPcMeterName,
  kPcMeterRegion, kPcMeterType, kPcUnit, kPcResourceLocation, kPcConsumedService,
  kPcResourceGroup, kPcResourceUri, kPcChargeType, kPcUnitType, kPcTags, kPcAdditionalInfo,
  kPcServiceInfo1, kPcServiceInfo2, kPcProductId, kPcSkuId, kPcAvailabilityId,
  kPcEffectiveUnitPrice, kPcExchangeRate, kPcPartnerEarnedCredit, kPcCreditPercentage,
  kPcCreditType, kPcPricingPreTaxTotal, kPcColumnCount
};
constexpr std::array<ColumnSpec, kPcColumnCount> kPcColumns = {{
    {"CustomerId", "", true},          {"EntitlementId", "", true},
    {"MeterCategory", "", false},      {"UsageDate", "", true},
    {"UnitPrice", "", true},           {"Quantity", "", true},
    {"BillingPreTaxTotal", "", true},  {"BillingCurrency", "", true},
    {"PricingCurrency", "", false},    {"SubscriptionId", "", false},
    {"ChargeStartDate", "", false},    {"ChargeEndDate", "", false},
    {"MeterId", "", false},            {"MeterSubCategory", "", false},
    {"MeterName", "", false},          {"MeterRegion", "", false},
    {"MeterType", "", false},          {"Unit", "unitOfMeasure", false},
    {"ResourceLocation", "", false},   {"ConsumedService", "", false},
    {"ResourceGroup", "", false},      {"ResourceURI", "", false},
    {"ChargeType", "", false},         {"UnitType", "", false},
    {"Tags", "", false},               {"AdditionalInfo", "", false},
    {"ServiceInfo1", "", false},       {"ServiceInfo2", "", false},
    {"ProductId", "", false},          {"SkuId", "", false},
    {"AvailabilityId", "", false},     {"EffectiveUnitPrice", "", false},
    {"PCToBCExchangeRate", "", false}, {"PartnerEarnedCreditPercentage", "rateOfPartnerEarnedCredit", false},
    {"CreditPercentage", "rateOfCredit", false}, {"CreditType", "", false},
    {"PricingPreTaxTotal", "", false},
}};

enum FocusColumn {
  kFoBilledCost, kFoChargePeriodStart, kFoSubAccountId, kFoListCost, kFoPricingQuantity,
  kFoBillingCurrency, kFoServiceName, kFoListUnitPrice, kFoCustomerId, kFoMeterCategory,
  kFoChargePeriodEnd, kFoChargeCategory, kFoChargeClass, kFoChargeDescription, kFoResourceId,
  kFoSkuId, kFoSkuPriceId, kFoSkuMeterId, kFoRegionId, kFoTags, kFoBillingAccountId,
  kFoConsumedQuantity, kFoId, kFoEffectiveCost, kFoColumnCount
};
constexpr std::array<ColumnSpec, kFoColumnCount> kFocusColumns = {{
    {"BilledCost", "", true},          {"ChargePeriodStart", "", true},
    {"SubAccountId", "", true},        {"ListCost", "", true},
    {"PricingQuantity", "", true},     {"BillingCurrency", "", true},
    {"ServiceName", "", true},         {"ListUnitPrice", "", false},
    {"x_CustomerId", "", false},       {"x_SkuMeterCategory", "", false},
    {"ChargePeriodEnd", "", false},    {"ChargeCategory", "", false},
    {"ChargeClass", "", false},        {"ChargeDescription", "", false},
    {"ResourceId", "", false},         {"SkuId", "", false},
    {"SkuPriceId", "", false},         {"x_SkuMeterId", "", false},
    {"RegionId", "", false},           {"Tags", "", false},
    {"BillingAccountId", "", false},   {"ConsumedQuantity", "", false},
    {"Id", "", false},                 {"EffectiveCost", "", false},
}};

// One row's values aligned with a column list; nullopt = column absent (or JSON null).
using RowView = std::vector<std::optional<std::string_view>>;

// Line identity: a 64-bit hash of the format tag and every key column (absent columns hash
// differently from empty ones). A wyhash-style multiply-mix over 16-byte blocks: this runs on
// every row, so it must cost a fraction of parsing. The value is stored (usage_partitions), so
// the function must never change; it is not a defence against crafted collisions (only
// operators import, and a collision needs two distinct lines of one subscription and day).
__extension__ typedef unsigned __int128 LineHashWide;
constexpr uint64_t kH0 = 0xa0761d6478bd642fULL, kH1 = 0xe7037ed1a0b428dbULL,
                   kH2 = 0x8ebc6af09c88c6e3ULL, kH3 = 0x589965cc75374cc3ULL;
inline uint64_t Mum(uint64_t a, uint64_t b) {
  LineHashWide r = static_cast<LineHashWide>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}
inline uint64_t Load(const char* p, size_t n) {  // n <= 8, little-endian, zero-padded
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}
inline uint64_t HashBytes(uint64_t h, std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 16) {
    uint64_t a, b;
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + 8, 8);
    h = Mum(a ^ kH1 ^ h, b ^ kH2);
    p += 16;
    n -= 16;
  }
  uint64_t a = n > 8 ? Load(p, 8) : Load(p, n);
  uint64_t b = n > 8 ? Load(p + 8, n - 8) : 0;
  return Mum(a ^ kH1 ^ h, b ^ kH3 ^ s.size());
}

uint64_t LineKey(std::string_view tag, const RowView& view, size_t first_key_column) {
  uint64_t h = HashBytes(kH0, tag);
  std::string stripped;
  for (size_t i = first_key_column; i < view.size(); ++i) {
    if (!view[i]) {
      h = Mum(h ^ kH2, kH0 ^ 0x1e);
      continue;
    }
    std::string_view v = *view[i];
    if (v.find('\r') == std::string_view::npos) {
      h = HashBytes(h, v);
    } else {  // CRLF inside quoted fields hashes like LF
      stripped.assign(v);
      stripped.erase(std::remove(stripped.begin(), stripped.end(), '\r'), stripped.end());
      h = HashBytes(h, stripped);
    }
  }
  return Mum(h ^ kH3, kH1 ^ view.size());
}

// "2024-09-01", "2024-09-01T00:00:00Z", "2024-09-01 00:00:00" or US "9/2/2023" → "YYYY-MM-DD".
std::optional<std::string> ParseDay(std::string_view s) {
  int y = 0, m = 0, d = 0;
  auto digits = [](std::string_view t) {
    if (t.empty() || t.size() > 4) return -1;
    int v = 0;
    for (char c : t) {
      if (c < '0' || c > '9') return -1;
      v = v * 10 + (c - '0');
    }
    return v;
  };
  if (s.size() >= 10 && s[4] == '-' && s[7] == '-') {
    if (s.size() > 10 && s[10] != 'T' && s[10] != ' ') return std::nullopt;
    y = digits(s.substr(0, 4)), m = digits(s.substr(5, 2)), d = digits(s.substr(8, 2));
  } else {
    size_t a = s.find('/'), b = a == std::string_view::npos ? a : s.find('/', a + 1);
    if (b == std::string_view::npos) return std::nullopt;
    size_t end = s.find(' ', b);
    std::string_view year = s.substr(b + 1, end == std::string_view::npos ? end : end - b - 1);
    if (year.size() != 4) return std::nullopt;
    m = digits(s.substr(0, a)), d = digits(s.substr(a + 1, b - a - 1)), y = digits(year);
  }
  if (y < 1900 || m < 1 || m > 12 || d < 1) return std::nullopt;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > kDays[m - 1] + (m == 2 && leap ? 1 : 0)) return std::nullopt;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
  return std::string(buf);
}

std::string NormalizeSubscription(std::string_view v) {
  std::string s = Lower(v);
  constexpr std::string_view kPrefix = "/subscriptions/";
  if (s.starts_with(kPrefix)) {
    s.erase(0, kPrefix.size());
    size_t slash = s.find('/');
    if (slash != std::string::npos) s.resize(slash);
  }
  return s;
}

struct RowContext {
  const std::string& file;
  int64_t line;
  std::vector<RowError>& errors;
  void Error(std::string column, std::string reason) {
    errors.push_back({file, line, std::move(column), std::move(reason)});
  }
};

bool IsNull(const std::optional<std::string_view>& v, bool focus) {
  return !v || v->empty() || (focus && *v == "NULL");
}

// A required number column; records the error and returns nullopt when it is bad.
std::optional<Decimal> Number(RowContext& ctx, const RowView& view, size_t col,
                              const ColumnSpec& spec, bool allow_exponent) {
  std::string_view text = view[col] ? *view[col] : std::string_view();
  auto d = ParseUsageNumber(text, allow_exponent);
  if (!d.ok()) {
    ctx.Error(spec.name, d.error().message);
    return std::nullopt;
  }
  return *d;
}

std::optional<std::string> RequiredText(RowContext& ctx, const RowView& view, size_t col,
                                        const ColumnSpec& spec, bool focus) {
  if (IsNull(view[col], focus)) {
    ctx.Error(spec.name, "is empty; a value is required");
    return std::nullopt;
  }
  return std::string(*view[col]);
}

std::optional<UsageRow> MapPartnerCenter(RowContext& ctx, const RowView& v, bool json) {
  const auto& c = kPcColumns;
  size_t errors_before = ctx.errors.size();
  UsageRow row;
  row.line = ctx.line;
  auto customer = RequiredText(ctx, v, kPcCustomerId, c[kPcCustomerId], false);
  auto subscription = RequiredText(ctx, v, kPcEntitlementId, c[kPcEntitlementId], false);
  auto day_text = RequiredText(ctx, v, kPcUsageDate, c[kPcUsageDate], false);
  std::optional<std::string> day;
  if (day_text) {
    day = ParseDay(*day_text);
    if (!day) ctx.Error("UsageDate", Quote(*day_text) + " is not a date (YYYY-MM-DD...)");
  }
  auto price = Number(ctx, v, kPcUnitPrice, c[kPcUnitPrice], json);
  auto quantity = Number(ctx, v, kPcQuantity, c[kPcQuantity], json);
  auto cost = Number(ctx, v, kPcBillingPreTaxTotal, c[kPcBillingPreTaxTotal], json);
  auto currency = RequiredText(ctx, v, kPcBillingCurrency, c[kPcBillingCurrency], false);
  if (ctx.errors.size() != errors_before) return std::nullopt;
  auto charge = price->Mul(*quantity);
  if (!charge.ok()) {
    ctx.Error("UnitPrice", "UnitPrice × Quantity cannot be computed exactly: " +
                               charge.error().message);
    return std::nullopt;
  }
  row.customer_id = Lower(*customer);
  row.azure_subscription_id = NormalizeSubscription(*subscription);
  row.meter_category = v[kPcMeterCategory] ? std::string(*v[kPcMeterCategory]) : "";
  row.day = *day;
  row.currency = Upper(*currency);
  row.quantity = *quantity;
  row.charge = *charge;
  row.partner_cost = *cost;
  row.line_key = LineKey("pc", v, 0);
  return row;
}

std::optional<UsageRow> MapFocus(RowContext& ctx, const RowView& v) {
  const auto& c = kFocusColumns;
  size_t errors_before = ctx.errors.size();
  UsageRow row;
  row.line = ctx.line;
  auto day_text = RequiredText(ctx, v, kFoChargePeriodStart, c[kFoChargePeriodStart], true);
  std::optional<std::string> day;
  if (day_text) {
    day = ParseDay(*day_text);
    if (!day) ctx.Error("ChargePeriodStart", Quote(*day_text) + " is not a date (YYYY-MM-DD...)");
  }
  auto billed = Number(ctx, v, kFoBilledCost, c[kFoBilledCost], true);
  auto currency = RequiredText(ctx, v, kFoBillingCurrency, c[kFoBillingCurrency], true);
  Decimal quantity;
  if (!IsNull(v[kFoPricingQuantity], true)) {
    auto q = Number(ctx, v, kFoPricingQuantity, c[kFoPricingQuantity], true);
    if (q) quantity = *q;
  }
  std::optional<Decimal> charge;
  if (!IsNull(v[kFoListUnitPrice], true) && !IsNull(v[kFoPricingQuantity], true)) {
    auto price = Number(ctx, v, kFoListUnitPrice, c[kFoListUnitPrice], true);
    if (price) {
      auto product = price->Mul(quantity);
      if (product.ok()) {
        charge = *product;
      } else {
        ctx.Error("ListUnitPrice", "ListUnitPrice × PricingQuantity cannot be computed exactly: " +
                                       product.error().message);
      }
    }
  } else {
    charge = Number(ctx, v, kFoListCost, c[kFoListCost], true);
  }
  if (ctx.errors.size() != errors_before) return std::nullopt;
  row.customer_id = IsNull(v[kFoCustomerId], true) ? "" : Lower(*v[kFoCustomerId]);
  row.azure_subscription_id =
      IsNull(v[kFoSubAccountId], true) ? "" : NormalizeSubscription(*v[kFoSubAccountId]);
  row.meter_category = !IsNull(v[kFoMeterCategory], true) ? std::string(*v[kFoMeterCategory])
                       : !IsNull(v[kFoServiceName], true) ? std::string(*v[kFoServiceName])
                                                          : "";
  row.day = *day;
  row.currency = Upper(*currency);
  row.quantity = quantity;
  row.charge = *charge;
  row.partner_cost = *billed;
  row.line_key = LineKey("focus", v, 0);
  return row;
}

// ---------------------------------------------------------------------------------------------
// JSON lines: one flat object per line; nested values are skipped, numbers kept as text.

struct JsonField {
  std::string key;  // lower case
  std::string value;
  bool null = false;
};

class JsonLineParser {
 public:
  explicit JsonLineParser(std::string_view s) : s_(s) {}

  bool Parse(std::vector<JsonField>& out, std::string& error) {
    SkipWs();
    if (!Eat('{')) return Fail(error, "is not a JSON object (expected '{')");
    SkipWs();
    if (Eat('}')) return End(error);
    while (true) {
      SkipWs();
      std::string key;
      if (!String(key)) return Fail(error, err_.empty() ? "expected a quoted key" : err_);
      SkipWs();
      if (!Eat(':')) return Fail(error, "expected ':' after a key");
      SkipWs();
      JsonField f;
      f.key = Lower(key);
      if (!Value(f, 0)) return Fail(error, err_.empty() ? "malformed value" : err_);
      out.push_back(std::move(f));
      SkipWs();
      if (Eat(',')) continue;
      if (Eat('}')) return End(error);
      return Fail(error, "expected ',' or '}'");
    }
  }

 private:
  bool End(std::string& error) {
    SkipWs();
    if (p_ != s_.size()) return Fail(error, "has text after the JSON object");
    return true;
  }
  bool Fail(std::string& error, const std::string& why) {
    error = "malformed JSON at column " + std::to_string(p_ + 1) + ": " + why;
    return false;
  }
  void SkipWs() {
    while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\t' || s_[p_] == '\r' || s_[p_] == '\n'))
      ++p_;
  }
  bool Eat(char c) {
    if (p_ < s_.size() && s_[p_] == c) {
      ++p_;
      return true;
    }
    return false;
  }
  bool Literal(std::string_view word) {
    if (s_.substr(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }
  static void AppendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }
  bool Hex4(uint32_t& v) {
    if (p_ + 4 > s_.size()) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[p_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<uint32_t>(c - 'A' + 10);
      else return false;
    }
    return true;
  }
  bool String(std::string& out) {
    if (!Eat('"')) return false;
    size_t start = p_;
    while (p_ < s_.size()) {
      unsigned char c = static_cast<unsigned char>(s_[p_]);
      if (c == '"') {
        ++p_;
        if (!IsValidUtf8(out)) return (err_ = "a string is not valid UTF-8", false);
        return true;
      }
      if (c < 0x20) return (err_ = "a control character inside a string", false);
      if (c != '\\') {
        out += static_cast<char>(c);
        ++p_;
        continue;
      }
      ++p_;
      if (p_ >= s_.size()) break;
      char e = s_[p_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(cp)) return (err_ = "a bad \\u escape", false);
          if (cp >= 0xd800 && cp <= 0xdbff) {
            uint32_t lo;
            if (!Literal("\\u") || !Hex4(lo) || lo < 0xdc00 || lo > 0xdfff)
              return (err_ = "an unpaired surrogate escape", false);
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          } else if (cp >= 0xdc00 && cp <= 0xdfff) {
            return (err_ = "an unpaired surrogate escape", false);
          }
          AppendUtf8(out, cp);
          break;
        }
        default: return (err_ = "a bad escape in a string", false);
      }
    }
    (void)start;
    return (err_ = "an unterminated string", false);
  }
  bool Value(JsonField& f, int depth) {
    if (depth > 32) return (err_ = "nesting is too deep", false);
    if (p_ >= s_.size()) return (err_ = "the line ends where a value was expected", false);
    char c = s_[p_];
    if (c == '"') return String(f.value);
    if (c == '{' || c == '[') {  // nested: skipped
      char close = c == '{' ? '}' : ']';
      ++p_;
      SkipWs();
      if (Eat(close)) return (f.null = true, true);
      while (true) {
        SkipWs();
        JsonField inner;
        if (c == '{') {
          std::string key;
          if (!String(key)) return (err_ = err_.empty() ? "expected a quoted key" : err_, false);
          SkipWs();
          if (!Eat(':')) return (err_ = "expected ':' after a key", false);
          SkipWs();
        }
        if (!Value(inner, depth + 1)) return false;
        SkipWs();
        if (Eat(',')) continue;
        if (Eat(close)) return (f.null = true, true);
        return (err_ = "expected ',' or a closing bracket", false);
      }
    }
    if (Literal("null")) return (f.null = true, true);
    if (Literal("true")) return (f.value = "true", true);
    if (Literal("false")) return (f.value = "false", true);
    size_t start = p_;
    if (p_ < s_.size() && s_[p_] == '-') ++p_;
    while (p_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[p_])) || s_[p_] == '.' ||
                              s_[p_] == 'e' || s_[p_] == 'E' || s_[p_] == '+' || s_[p_] == '-'))
      ++p_;
    if (p_ == start) return (err_ = "an unexpected character", false);
    f.value.assign(s_.substr(start, p_ - start));
    return true;
  }

  std::string_view s_;
  size_t p_ = 0;
  std::string err_;
};

// ---------------------------------------------------------------------------------------------
// The reader

struct Schema {
  UsageFormat format;
  std::string file;
  size_t header_size = 0;
  std::vector<std::string> header_names;  // as written, for messages
  std::vector<int> index;                 // column spec → header position (-1 absent)
};

struct Chunk {
  std::string text;
  int64_t first_line = 0;
};

int64_t CountNewlines(std::string_view s) { return std::count(s.begin(), s.end(), '\n'); }

void ParseCsvChunk(const Schema& schema, const Chunk& chunk, UsageBatch& out) {
  std::string_view text = chunk.text;
  size_t pos = 0;
  int64_t line = chunk.first_line;
  std::vector<std::string_view> fields;
  std::string scratch;
  std::string error, value;
  bool focus = schema.format == UsageFormat::kFocusCsv;
  RowView view(schema.index.size());
  out.rows.reserve(text.size() / 256);
  while (pos < text.size()) {
    size_t start = pos;
    if (scratch.capacity() < text.size() - pos) scratch.reserve(text.size() - pos);
    scratch.clear();
    bool ok = NextCsvRecord(text, pos, fields, scratch, error, value);
    int64_t record_line = line;
    std::string_view record = text.substr(start, pos - start);
    line += CountNewlines(record);
    RowContext ctx{schema.file, record_line, out.errors};
    if (!ok) {
      ctx.Error("", error + (value.empty() ? "" : ": " + Quote(value)));
      value.clear();
      continue;
    }
    if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
    if (fields.size() != schema.header_size) {
      ctx.Error("", "has " + std::to_string(fields.size()) + " fields, the header has " +
                        std::to_string(schema.header_size) +
                        (fields.size() < schema.header_size ? " (the row may be truncated)" : ""));
      continue;
    }
    if (!IsValidUtf8(record)) {  // name the first field that is not UTF-8
      bool utf8 = true;
      for (size_t i = 0; i < fields.size() && utf8; ++i) {
        if (!IsValidUtf8(fields[i])) {
          ctx.Error(schema.header_names[i], Quote(fields[i]) + " is not valid UTF-8 text");
          utf8 = false;
        }
      }
      if (!utf8) continue;
    }
    for (size_t i = 0; i < view.size(); ++i) {
      view[i] = schema.index[i] < 0 ? std::nullopt
                                    : std::optional<std::string_view>(fields[schema.index[i]]);
    }
    auto row = focus ? MapFocus(ctx, view) : MapPartnerCenter(ctx, view, false);
    if (row) out.rows.push_back(std::move(*row));
  }
}

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

void ParseJsonChunk(const Schema& schema, const Chunk& chunk, UsageBatch& out) {
  std::string_view text = chunk.text;
  int64_t line = chunk.first_line;
  std::vector<JsonField> fields;
  RowView view(kPcColumnCount);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view one = text.substr(pos, end - pos);
    pos = end + 1;
    int64_t this_line = line++;
    if (one.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    RowContext ctx{schema.file, this_line, out.errors};
    fields.clear();
    std::string error;
    if (!JsonLineParser(one).Parse(fields, error)) {
      ctx.Error("", error);
      continue;
    }
    std::fill(view.begin(), view.end(), std::nullopt);
    for (const auto& f : fields) {
      if (f.null) continue;
      for (size_t i = 0; i < kPcColumns.size(); ++i) {
        if (f.key == JsonKeys()[i].first || f.key == JsonKeys()[i].second) view[i] = f.value;
      }
    }
    auto row = MapPartnerCenter(ctx, view, true);
    if (row) out.rows.push_back(std::move(*row));
  }
}

class Reader : public UsageReader {
 public:
  Reader(std::unique_ptr<InputStream> in, ReaderOptions options)
      : in_(std::move(in)), options_(std::move(options)) {}

  // Reads the first record and sets up the schema.
  Status Start() {
    const std::string& file = options_.file_name;
    PC_RETURN_IF_ERROR(FillUntilBoundary(true));
    if (buffer_.empty()) return InvalidArgument(file + ": the file is empty");
    if (buffer_.size() >= 2 && ((buffer_[0] == '\xff' && buffer_[1] == '\xfe') ||
                                (buffer_[0] == '\xfe' && buffer_[1] == '\xff'))) {
      return InvalidArgument(file + ": the file is UTF-16; save it as UTF-8");
    }
    if (buffer_.starts_with("\xef\xbb\xbf")) buffer_.erase(0, 3);
    size_t first = buffer_.find_first_not_of(" \t\r\n");
    bool looks_json = first != std::string::npos && buffer_[first] == '{';
    auto container = options_.container;
    if (container == ReaderOptions::Container::kAuto) {
      container = looks_json ? ReaderOptions::Container::kJsonLines
                             : ReaderOptions::Container::kCsv;
    }
    schema_.file = file;
    if (container == ReaderOptions::Container::kJsonLines) {
      json_ = true;
      schema_.format = UsageFormat::kGraphJsonLines;
      if (!looks_json) {
        return InvalidArgument(file + ": not JSON lines: the first line does not start with '{'");
      }
      // re-scan boundaries without quote tracking
      scanned_ = 0;
      last_boundary_ = std::string::npos;
      in_quotes_ = false;
      return {};
    }
    // CSV: parse the header record.
    size_t end = last_boundary_ == std::string::npos ? buffer_.size() : last_boundary_ + 1;
    std::string_view header_text(buffer_.data(), end);
    std::vector<std::string_view> name_views;
    std::string scratch, error, value;
    scratch.reserve(header_text.size());
    size_t pos = 0;
    if (!IsValidUtf8(header_text)) {
      return InvalidArgument(file + ": line 1 (the header) is not valid UTF-8 text; is this a "
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
      schema_.format = UsageFormat::kPartnerCenterCsv;
      for (const auto& s : kPcColumns) schema_.index.push_back(find(s.name));
    } else if (focus_missing.empty()) {
      schema_.format = UsageFormat::kFocusCsv;
      for (const auto& s : kFocusColumns) schema_.index.push_back(find(s.name));
    } else {
      bool focusish = find("BilledCost") >= 0 || find("ChargePeriodStart") >= 0;
      return InvalidArgument(
          file + ": line 1 is not the header of a usage file: " +
          (focusish ? "as a FOCUS CSV it lacks the columns " + focus_missing
                    : "as a Partner Center daily rated usage CSV it lacks the columns " +
                          pc_missing +
                          " (a FOCUS file needs BilledCost, ChargePeriodStart, SubAccountId, ...)"));
    }
    for (size_t i = 0; i < lower.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (!lower[i].empty() && lower[i] == lower[j]) {
          return InvalidArgument(file + ": line 1 names the column " + names[i] + " twice");
        }
      }
    }
    schema_.header_size = names.size();
    schema_.header_names = names;
    int64_t header_lines = CountNewlines(header_text.substr(0, pos));
    next_line_ = 1 + header_lines;
    buffer_.erase(0, pos);
    scanned_ = 0;
    last_boundary_ = std::string::npos;
    in_quotes_ = false;
    return {};
  }

  UsageFormat format() const override { return schema_.format; }
  std::string Digest() const override { return digest_; }

  Result<std::optional<UsageBatch>> Next() override {
    std::vector<Chunk> chunks;
    int threads = std::max(1, options_.threads);
    while (static_cast<int>(chunks.size()) < threads) {
      PC_ASSIGN_OR_RETURN(auto chunk, NextChunk());
      if (!chunk) break;
      chunks.push_back(std::move(*chunk));
    }
    if (chunks.empty()) return std::optional<UsageBatch>();
    std::vector<UsageBatch> parsed(chunks.size());
    auto parse = [&](size_t i) {
      if (json_) {
        ParseJsonChunk(schema_, chunks[i], parsed[i]);
      } else {
        ParseCsvChunk(schema_, chunks[i], parsed[i]);
      }
    };
    std::vector<std::thread> workers;
    for (size_t i = 1; i < chunks.size(); ++i) workers.emplace_back(parse, i);
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
  // Scans buffer_ from scanned_ for record boundaries (a '\n' outside quotes in CSV).
  void Scan() {
    const char* data = buffer_.data();
    size_t n = buffer_.size(), i = scanned_;
    while (i < n) {
      if (in_quotes_) {  // only the closing quote matters
        const void* q = std::memchr(data + i, '"', n - i);
        if (q == nullptr) break;
        i = static_cast<size_t>(static_cast<const char*>(q) - data) + 1;
        in_quotes_ = false;
        continue;
      }
      const void* q = json_ ? nullptr : std::memchr(data + i, '"', n - i);
      size_t stop = q == nullptr ? n : static_cast<size_t>(static_cast<const char*>(q) - data);
      // The record boundaries are the newlines before the next quote.
      const void* nl = first_only_ ? std::memchr(data + i, '\n', stop - i)
                                   : memrchr(data + i, '\n', stop - i);
      if (nl != nullptr) {
        last_boundary_ = static_cast<size_t>(static_cast<const char*>(nl) - data);
        if (first_only_) break;
      }
      if (q == nullptr) break;
      i = stop + 1;
      in_quotes_ = true;
    }
    scanned_ = n;
  }

  // Reads until the buffer holds a record boundary (or chunk_bytes of text), or the end.
  Status FillUntilBoundary(bool first_only) {
    first_only_ = first_only;
    while (!eof_) {
      if (last_boundary_ != std::string::npos &&
          (first_only || buffer_.size() >= options_.chunk_bytes)) {
        break;
      }
      if (buffer_.size() > kMaxRecordBytes + options_.chunk_bytes &&
          last_boundary_ == std::string::npos) {
        return InvalidArgument(options_.file_name + ": line " + std::to_string(next_line_) +
                               ": a record longer than " +
                               std::to_string(kMaxRecordBytes >> 20) +
                               " MiB (an unterminated quote?)");
      }
      PC_ASSIGN_OR_RETURN(bool more, in_->ReadInto(buffer_));
      if (!more) {
        eof_ = true;
        digest_ = in_->Digest();
      }
      Scan();
    }
    first_only_ = false;
    return {};
  }

  Result<std::optional<Chunk>> NextChunk() {
    PC_RETURN_IF_ERROR(FillUntilBoundary(false));
    if (buffer_.empty()) return std::optional<Chunk>();
    Chunk chunk;
    chunk.first_line = next_line_;
    if (eof_) {
      chunk.text = std::move(buffer_);
      buffer_.clear();
    } else {
      chunk.text = buffer_.substr(0, last_boundary_ + 1);
      buffer_.erase(0, last_boundary_ + 1);
    }
    next_line_ += CountNewlines(chunk.text);
    // Boundaries in what is left are found again on the next scan; quote state is unchanged
    // because a boundary is always outside quotes.
    scanned_ = 0;
    last_boundary_ = std::string::npos;
    in_quotes_ = false;
    Scan();
    return std::optional<Chunk>(std::move(chunk));
  }

  std::unique_ptr<InputStream> in_;
  ReaderOptions options_;
  Schema schema_;
  bool json_ = false;
  std::string buffer_;
  size_t scanned_ = 0;
  size_t last_boundary_ = std::string::npos;
  bool in_quotes_ = false;
  bool first_only_ = false;
  bool eof_ = false;
  int64_t next_line_ = 1;
  std::string digest_;
};

}  // namespace

Result<std::unique_ptr<ByteSource>> OpenFileSource(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return InvalidArgument(path + ": cannot open: " + std::string(std::strerror(errno)));
  }
  return std::unique_ptr<ByteSource>(std::make_unique<FileSource>(f, path));
}

std::unique_ptr<ByteSource> MemorySource(std::string_view bytes) {
  return std::make_unique<MemSource>(bytes);
}

Result<std::unique_ptr<UsageReader>> UsageReader::Open(std::unique_ptr<ByteSource> source,
                                                       ReaderOptions options) {
  auto in = std::make_unique<InputStream>(std::move(source), options.file_name);
  auto reader = std::make_unique<Reader>(std::move(in), std::move(options));
  PC_RETURN_IF_ERROR(reader->Start());
  return std::unique_ptr<UsageReader>(std::move(reader));
}

}  // namespace pc::billing
