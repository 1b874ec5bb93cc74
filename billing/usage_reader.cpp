#include "billing/usage_reader.h"

#include <openssl/evp.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <thread>

#include "billing/byte_scan.h"
#include "billing/precision.h"
#include "core/time.h"

namespace pc::billing {

namespace {

constexpr size_t kMaxRecordBytes = 64 << 20;  // one CSV record or JSON line
constexpr size_t kReadBlock = 1 << 20;

// ASCII case (what the C locale's tolower/toupper do), without a call per byte.
void LowerAscii(std::string& s) {
  for (auto& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
}
void UpperAscii(std::string& s) {
  for (auto& c : s) c = static_cast<char>(c >= 'a' && c <= 'z' ? c & ~0x20 : c);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  LowerAscii(out);
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
    return fail(
        "has a thousands or decimal comma; write it without grouping, with a '.'"
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

class DescriptorReader : public ByteSource {
 public:
  DescriptorReader(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  Result<size_t> Read(char* buffer, size_t capacity) override {
    while (true) {
      ssize_t n = ::pread(fd_, buffer, capacity, offset_);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return InvalidArgument(name_ + ": read error: " + std::strerror(errno));
      offset_ += n;
      return static_cast<size_t>(n);
    }
  }

 private:
  int fd_;
  std::string name_;
  off_t offset_ = 0;
};

// A growable byte buffer that, unlike std::string, does not zero what it is about to read into.
class TextBuffer {
 public:
  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return {data_.get(), size_}; }
  // Makes room for `extra` more bytes after size().
  void Reserve(size_t extra) {
    if (size_ + extra <= capacity_) return;
    size_t capacity = std::max(size_ + extra, capacity_ * 2);
    auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
    if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    capacity_ = capacity;
  }
  size_t room() const { return capacity_ - size_; }
  void Grow(size_t n) { size_ += n; }   // n bytes were written after size()
  void Resize(size_t n) { size_ = n; }  // n <= size()
  void Assign(std::string_view bytes) {
    size_ = 0;
    Reserve(bytes.size());
    if (!bytes.empty()) std::memcpy(data_.get(), bytes.data(), bytes.size());
    size_ = bytes.size();
  }
  void Erase(size_t n) {  // the first n bytes
    std::memmove(data_.get(), data_.get() + n, size_ - n);
    size_ -= n;
  }

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

// The decoded byte stream: gunzips the raw bytes when they are gzip. The file's SHA-256 is of
// the raw bytes: for gzip they are digested as they are read; plain text is digested by whoever
// consumes it (DigestText, in file order), so that the reading thread does not do it.
class InputStream {
 public:
  InputStream(std::unique_ptr<ByteSource> source, std::string name, uint64_t max_expanded,
              uint64_t max_ratio)
      : source_(std::move(source)),
        name_(std::move(name)),
        max_expanded_(max_expanded),
        max_ratio_(std::max<uint64_t>(1, max_ratio)),
        sha_(EVP_MD_CTX_new()) {
    // OpenSSL's SHA-256 uses the CPU's SHA extensions where present.
    if (sha_ != nullptr) EVP_DigestInit_ex(sha_, EVP_sha256(), nullptr);
  }
  ~InputStream() {
    if (gzip_) inflateEnd(&z_);
    EVP_MD_CTX_free(sha_);
  }
  InputStream(const InputStream&) = delete;
  InputStream& operator=(const InputStream&) = delete;

  // Appends up to `max` (> 0) decoded bytes to `out`; returns false at the end of the input.
  Result<bool> ReadInto(TextBuffer& out, size_t max) {
    if (!started_) {
      started_ = true;
      PC_RETURN_IF_ERROR(FillRaw());
      if (raw_.size() >= 2 && static_cast<unsigned char>(raw_[0]) == 0x1f &&
          static_cast<unsigned char>(raw_[1]) == 0x8b) {
        gzip_ = true;
        std::memset(&z_, 0, sizeof z_);
        if (inflateInit2(&z_, 15 + 16) != Z_OK) return Internal("zlib initialisation failed");
        PC_RETURN_IF_ERROR(Digest(raw_.data(), raw_.size()));
      }
    }
    out.Reserve(max);
    if (!gzip_) {
      if (raw_pos_ < raw_.size()) {  // the first block, read to look for the gzip magic
        size_t n = std::min(max, raw_.size() - raw_pos_);
        std::memcpy(out.data() + out.size(), raw_.data() + raw_pos_, n);
        out.Grow(n);
        raw_pos_ += n;
        return true;
      }
      // Straight into the caller's buffer: no copy.
      PC_ASSIGN_OR_RETURN(size_t n, source_->Read(out.data() + out.size(), max));
      if (n == 0) return false;
      out.Grow(n);
      return true;
    }
    if (stream_done_ && raw_pos_ == raw_.size()) {
      PC_RETURN_IF_ERROR(FillRaw());
      if (raw_.empty()) return false;
    }
    size_t produced = 0;
    char* dest = out.data() + out.size();
    while (produced == 0) {
      if (raw_pos_ == raw_.size()) {
        PC_RETURN_IF_ERROR(FillRaw());
        if (raw_.empty()) {
          if (!stream_done_) {
            return InvalidArgument(name_ +
                                   ": the gzip data is truncated (the file ends before "
                                   "the compressed stream does)");
          }
          return false;
        }
      }
      if (stream_done_) {  // another gzip member follows (concatenated gzip)
        if (inflateReset(&z_) != Z_OK) return Internal("zlib reset failed");
        stream_done_ = false;
      }
      size_t want = std::min<size_t>(max, std::numeric_limits<uInt>::max());
      z_.next_in = reinterpret_cast<Bytef*>(raw_.data() + raw_pos_);
      z_.avail_in = static_cast<uInt>(raw_.size() - raw_pos_);
      z_.next_out = reinterpret_cast<Bytef*>(dest);
      z_.avail_out = static_cast<uInt>(want);
      int rc = inflate(&z_, Z_NO_FLUSH);
      size_t consumed_from = raw_pos_;
      raw_pos_ = raw_.size() - z_.avail_in;
      produced = want - z_.avail_out;
      compressed_ += raw_pos_ - consumed_from;
      expanded_ += produced;
      PC_RETURN_IF_ERROR(CheckExpansion());
      if (rc == Z_STREAM_END) {
        stream_done_ = true;
        if (produced == 0 && raw_pos_ == raw_.size()) {
          PC_RETURN_IF_ERROR(FillRaw());
          if (raw_.empty()) return false;
        }
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return InvalidArgument(name_ + ": the gzip data is corrupt (" +
                               std::string(z_.msg ? z_.msg : "inflate failed") + ")");
      }
    }
    out.Grow(produced);
    return true;
  }

  // Digests decoded text that came from plain (not gzip) input; the caller hands every byte of
  // the input over once, in order. Nothing to do for gzip input.
  Status DigestText(std::string_view text) {
    if (gzip_ || text.empty()) return {};
    return Digest(text.data(), text.size());
  }

  // The SHA-256 (hex) of what was digested so far.
  std::string Digest() const {
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
  static std::string Bytes(uint64_t n) {
    if (n >= (uint64_t{1} << 30) && n % (uint64_t{1} << 30) == 0) {
      return std::to_string(n >> 30) + " GiB";
    }
    if (n >= (uint64_t{1} << 20) && n % (uint64_t{1} << 20) == 0) {
      return std::to_string(n >> 20) + " MiB";
    }
    return std::to_string(n) + " bytes";
  }

  // A compression bomb is stopped as soon as it passes a limit, not after its full expansion.
  Status CheckExpansion() const {
    if (expanded_ > max_expanded_) {
      return Error(ErrorCode::kPayloadTooLarge,
                   name_ + ": the gzip data expands to more than " + Bytes(max_expanded_) +
                       " (billing.import_max_expanded_bytes); import the file in parts or "
                       "raise the limit");
    }
    if (expanded_ > ReaderOptions::kRatioFloorBytes &&
        expanded_ / std::max<uint64_t>(compressed_, 1) > max_ratio_) {
      return Error(ErrorCode::kPayloadTooLarge,
                   name_ + ": the gzip data expands more than " + std::to_string(max_ratio_) +
                       " times (" + std::to_string(expanded_) + " bytes from " +
                       std::to_string(compressed_) +
                       " compressed bytes so far; billing.import_max_expansion_ratio): this is "
                       "not what a usage file compresses to");
    }
    return {};
  }

  Status Digest(const char* bytes, size_t n) {
    if (sha_ == nullptr || EVP_DigestUpdate(sha_, bytes, n) != 1) {
      return Internal("SHA-256 of the file failed");
    }
    return {};
  }

  Status FillRaw() {
    raw_.resize(kReadBlock);
    PC_ASSIGN_OR_RETURN(size_t n, source_->Read(raw_.data(), raw_.size()));
    raw_.resize(n);
    raw_pos_ = 0;
    return gzip_ ? Digest(raw_.data(), n) : Status();
  }

  std::unique_ptr<ByteSource> source_;
  std::string name_;
  uint64_t max_expanded_;
  uint64_t max_ratio_;
  uint64_t compressed_ = 0;  // gzip bytes inflated so far
  uint64_t expanded_ = 0;    // bytes they decoded to
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
  const char* name;   // canonical spelling, used in messages
  const char* alias;  // camelCase alternative in JSON ("" if none)
  bool required;      // the header (or JSON object) must have it
};

// Partner Center daily rated usage, CSV and JSON lines. Every column is part of the line key
// except names and descriptions, InvoiceNumber (the same line is first unbilled, then billed)
// and the Benefit* columns.
enum PcColumn {
  kPcCustomerId,
  kPcEntitlementId,
  kPcMeterCategory,
  kPcUsageDate,
  kPcUnitPrice,
  kPcQuantity,
  kPcBillingPreTaxTotal,
  kPcBillingCurrency,
  kPcPricingCurrency,
  kPcSubscriptionId,
  kPcChargeStartDate,
  kPcChargeEndDate,
  kPcMeterId,
  kPcMeterSubCategory,
  kPcMeterName,
  kPcMeterRegion,
  kPcMeterType,
  kPcUnit,
  kPcResourceLocation,
  kPcConsumedService,
  kPcResourceGroup,
  kPcResourceUri,
  kPcChargeType,
  kPcUnitType,
  kPcTags,
  kPcAdditionalInfo,
  kPcServiceInfo1,
  kPcServiceInfo2,
  kPcProductId,
  kPcSkuId,
  kPcAvailabilityId,
  kPcEffectiveUnitPrice,
  kPcExchangeRate,
  kPcPartnerEarnedCredit,
  kPcCreditPercentage,
  kPcCreditType,
  kPcPricingPreTaxTotal,
  kPcColumnCount
};
constexpr std::array<ColumnSpec, kPcColumnCount> kPcColumns = {{
    {"CustomerId", "", true},
    {"EntitlementId", "", true},
    {"MeterCategory", "", false},
    {"UsageDate", "", true},
    {"UnitPrice", "", true},
    {"Quantity", "", true},
    {"BillingPreTaxTotal", "", true},
    {"BillingCurrency", "", true},
    {"PricingCurrency", "", false},
    {"SubscriptionId", "", false},
    {"ChargeStartDate", "", false},
    {"ChargeEndDate", "", false},
    {"MeterId", "", false},
    {"MeterSubCategory", "", false},
    {"MeterName", "", false},
    {"MeterRegion", "", false},
    {"MeterType", "", false},
    {"Unit", "unitOfMeasure", false},
    {"ResourceLocation", "", false},
    {"ConsumedService", "", false},
    {"ResourceGroup", "", false},
    {"ResourceURI", "", false},
    {"ChargeType", "", false},
    {"UnitType", "", false},
    {"Tags", "", false},
    {"AdditionalInfo", "", false},
    {"ServiceInfo1", "", false},
    {"ServiceInfo2", "", false},
    {"ProductId", "", false},
    {"SkuId", "", false},
    {"AvailabilityId", "", false},
    {"EffectiveUnitPrice", "", false},
    {"PCToBCExchangeRate", "", false},
    {"PartnerEarnedCreditPercentage", "rateOfPartnerEarnedCredit", false},
    {"CreditPercentage", "rateOfCredit", false},
    {"CreditType", "", false},
    {"PricingPreTaxTotal", "", false},
}};

enum FocusColumn {
  kFoBilledCost,
  kFoChargePeriodStart,
  kFoSubAccountId,
  kFoListCost,
  kFoPricingQuantity,
  kFoBillingCurrency,
  kFoServiceName,
  kFoListUnitPrice,
  kFoCustomerId,
  kFoMeterCategory,
  kFoChargePeriodEnd,
  kFoChargeCategory,
  kFoChargeClass,
  kFoChargeDescription,
  kFoResourceId,
  kFoSkuId,
  kFoSkuPriceId,
  kFoSkuMeterId,
  kFoRegionId,
  kFoTags,
  kFoBillingAccountId,
  kFoConsumedQuantity,
  kFoId,
  kFoEffectiveCost,
  kFoColumnCount
};
constexpr std::array<ColumnSpec, kFoColumnCount> kFocusColumns = {{
    {"BilledCost", "", true},
    {"ChargePeriodStart", "", true},
    {"SubAccountId", "", true},
    {"ListCost", "", true},
    {"PricingQuantity", "", true},
    {"BillingCurrency", "", true},
    {"ServiceName", "", true},
    {"ListUnitPrice", "", false},
    {"x_CustomerId", "", false},
    {"x_SkuMeterCategory", "", false},
    {"ChargePeriodEnd", "", false},
    {"ChargeCategory", "", false},
    {"ChargeClass", "", false},
    {"ChargeDescription", "", false},
    {"ResourceId", "", false},
    {"SkuId", "", false},
    {"SkuPriceId", "", false},
    {"x_SkuMeterId", "", false},
    {"RegionId", "", false},
    {"Tags", "", false},
    {"BillingAccountId", "", false},
    {"ConsumedQuantity", "", false},
    {"Id", "", false},
    {"EffectiveCost", "", false},
}};

// One row's values aligned with a column list. A column the file does not have (or a JSON
// null) is a view with no data (nullptr); an empty field is an empty view with data.
using RowView = std::vector<std::string_view>;
inline bool Present(std::string_view v) { return v.data() != nullptr; }

}  // namespace

int32_t ParseUsageDay(std::string_view s, std::string* why) {
  auto fail = [&](std::string reason) {
    if (why != nullptr) *why = std::move(reason);
    return 0;
  };
  auto digits = [](std::string_view t) {
    if (t.empty() || t.size() > 4) return -1;
    int v = 0;
    for (char c : t) {
      if (c < '0' || c > '9') return -1;
      v = v * 10 + (c - '0');
    }
    return v;
  };
  auto yyyymmdd = [](Timestamp t) {
    const std::chrono::year_month_day ymd(std::chrono::floor<std::chrono::days>(t));
    return int32_t(int(ymd.year()) * 10000 + int(unsigned(ymd.month())) * 100 +
                   int(unsigned(ymd.day())));
  };
  if (s.size() >= 10 && s[4] == '-' && s[7] == '-') {
    // Fast path for what Partner Center writes, "2024-09-01" and "2024-09-01T00:00:00Z", read on
    // every row (three date columns): a valid value is its own UTC day. Anything else, or any
    // doubt, goes to core/time below, which also words the errors.
    if (s.size() == 10 ||
        (s.size() == 20 && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == 'Z')) {
      auto two = [&](size_t at) {
        char a = s[at], b = s[at + 1];
        return a >= '0' && a <= '9' && b >= '0' && b <= '9' ? (a - '0') * 10 + (b - '0') : -1;
      };
      int y = digits(s.substr(0, 4)), m = two(5), d = two(8);
      bool time_ok = s.size() == 10 || (two(11) >= 0 && two(11) <= 23 && two(14) >= 0 &&
                                        two(14) <= 59 && two(17) >= 0 && two(17) <= 59);
      static constexpr int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
      if (time_ok && y >= 1 && m >= 1 && m <= 12 && d >= 1 &&
          d <= kMonthDays[m - 1] +
                   (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 1 : 0)) {
        return y * 10000 + m * 100 + d;
      }
    }
    // ISO 8601 / RFC 3339: the one time parser (core/time.h), which checks that the date and
    // the time of day exist; an offset makes it the UTC day.
    auto t = ParseDataTimestamp(s);
    if (!t.ok()) {
      // "invalid timestamp "...": PROBLEM; expected RFC 3339 ...": keep the problem.
      const std::string& message = t.error().message;
      size_t from = message.find("\": ");
      size_t to = message.rfind("; expected");
      std::string problem = from == std::string::npos || to == std::string::npos || to < from
                                ? message
                                : message.substr(from + 3, to - from - 3);
      return fail("is not a real date and time: " + problem);
    }
    return yyyymmdd(*t);
  }
  // US "M/D/YYYY", as Partner Center's CSV download writes it, with an optional time.
  size_t a = s.find('/'), b = a == std::string_view::npos ? a : s.find('/', a + 1);
  if (b == std::string_view::npos) return fail("is not a date (YYYY-MM-DD or M/D/YYYY)");
  size_t end = s.find(' ', b);
  std::string_view year = s.substr(b + 1, end == std::string_view::npos ? end : end - b - 1);
  int m = digits(s.substr(0, a)), d = digits(s.substr(a + 1, b - a - 1)), y = digits(year);
  if (year.size() != 4 || m < 0 || d < 0 || y < 0) {
    return fail("is not a date (YYYY-MM-DD or M/D/YYYY)");
  }
  if (end != std::string_view::npos) {
    // "H:MM[:SS]" with hours 0-23, or 1-12 followed by " AM" / " PM".
    std::string_view time = s.substr(end + 1);
    bool twelve = time.ends_with(" AM") || time.ends_with(" PM") || time.ends_with(" am") ||
                  time.ends_with(" pm");
    if (twelve) time.remove_suffix(3);
    size_t c1 = time.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : time.find(':', c1 + 1);
    int hour = digits(time.substr(0, c1));
    std::string_view minutes_text =
        c1 == std::string_view::npos ? "" : time.substr(c1 + 1, c2 == time.npos ? c2 : c2 - c1 - 1);
    std::string_view seconds_text = c2 == std::string_view::npos ? "00" : time.substr(c2 + 1);
    int minute = minutes_text.size() == 2 ? digits(minutes_text) : -1;
    int second = seconds_text.size() == 2 ? digits(seconds_text) : -1;
    bool hour_ok = twelve ? hour >= 1 && hour <= 12 : hour >= 0 && hour <= 23;
    if (c1 == std::string_view::npos || c1 > 2 || !hour_ok || minute < 0 || minute > 59 ||
        second < 0 || second > 59) {
      return fail("has a time of day that does not exist: " + Quote(s.substr(end + 1)));
    }
  }
  if (y < 1 || m < 1 || m > 12) return fail("is not a date: month " + std::to_string(m));
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d < 1 || d > kDays[m - 1] + (m == 2 && leap ? 1 : 0)) {
    return fail("is not a date: day " + std::to_string(d) + " does not exist in that month");
  }
  return y * 10000 + m * 100 + d;
}

namespace {

int32_t ParseDay(std::string_view s) { return ParseUsageDay(s, nullptr); }

// The text in lower case: `text` itself when it has no upper-case letter, else a copy in `buf`.
std::string_view LowerView(std::string_view text, std::string& buf) {
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  if (std::none_of(text.begin(), text.end(), upper)) return text;
  buf.assign(text);  // reuses buf's memory
  LowerAscii(buf);
  return buf;
}

std::string_view UpperView(std::string_view text, std::string& buf) {
  auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  if (std::none_of(text.begin(), text.end(), lower)) return text;
  buf.assign(text);
  UpperAscii(buf);
  return buf;
}

// The subscription GUID of an EntitlementId or of an ARM id "/subscriptions/{id}/...".
std::string_view NormalizeSubscription(std::string_view v, std::string& buf) {
  std::string_view s = LowerView(v, buf);
  constexpr std::string_view kPrefix = "/subscriptions/";
  if (s.starts_with(kPrefix)) {
    s.remove_prefix(kPrefix.size());
    size_t slash = s.find('/');
    if (slash != std::string_view::npos) s = s.substr(0, slash);
  }
  return s;
}

// How a Partner Center value enters the line identity, so that one usage line reads the same
// however it was written: Partner Center's CSV download and its API's JSON write dates, numbers
// and ids differently ("9/2/2024" / "2024-09-02T00:00:00Z", "24" / "24.0" / "2.4E1", upper or
// lower case GUIDs and resource ids) and leave a value empty or out.
enum class IdentityForm : uint8_t { kText, kDay, kNumber, kCaseless };
constexpr std::array<IdentityForm, kPcColumnCount> kPcIdentity = [] {
  std::array<IdentityForm, kPcColumnCount> f{};
  f.fill(IdentityForm::kText);
  for (int c : {kPcUsageDate, kPcChargeStartDate, kPcChargeEndDate}) f[c] = IdentityForm::kDay;
  for (int c :
       {kPcUnitPrice, kPcQuantity, kPcBillingPreTaxTotal, kPcEffectiveUnitPrice, kPcExchangeRate,
        kPcPartnerEarnedCredit, kPcCreditPercentage, kPcPricingPreTaxTotal}) {
    f[c] = IdentityForm::kNumber;
  }
  for (int c : {kPcCustomerId, kPcEntitlementId, kPcBillingCurrency, kPcPricingCurrency,
                kPcSubscriptionId, kPcMeterId, kPcConsumedService, kPcResourceGroup, kPcResourceUri,
                kPcProductId, kPcSkuId, kPcAvailabilityId}) {
    f[c] = IdentityForm::kCaseless;
  }
  return f;
}();

// A plain decimal's canonical text, in `out`: no sign for zero, no leading or trailing zeros
// ("-0.50" → "-0.5", "024.000" → "24", "+.5" → "0.5"). False when `t` is not
// [-+]digits[.digits].
bool CanonicalPlainNumber(std::string_view t, std::string& out) {
  bool negative = !t.empty() && t[0] == '-';
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) t.remove_prefix(1);
  size_t dot = t.find('.');
  std::string_view whole = t.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : t.substr(dot + 1);
  auto digits = [](std::string_view d) {
    return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if ((whole.empty() && frac.empty()) || !digits(whole) || !digits(frac)) return false;
  while (!whole.empty() && whole[0] == '0') whole.remove_prefix(1);
  while (!frac.empty() && frac.back() == '0') frac.remove_suffix(1);
  out.clear();
  if (whole.empty() && frac.empty()) {
    out = "0";
    return true;
  }
  if (negative) out += '-';
  out += whole.empty() ? std::string_view("0") : whole;
  if (!frac.empty()) {
    out += '.';
    out += frac;
  }
  return true;
}

// The canonical text of a plain decimal (CanonicalPlainNumber): `v` itself when it is written
// so already (the usual case), else a copy in `out`. False when `v` is not a plain decimal.
bool CanonicalNumberView(std::string_view v, std::string& out, std::string_view& result) {
  std::string_view t = v;
  bool negative = !t.empty() && t[0] == '-';
  if (negative) t.remove_prefix(1);
  size_t dot = t.find('.');
  std::string_view whole = t.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : t.substr(dot + 1);
  auto digits = [](std::string_view d) {
    return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  bool canonical = !whole.empty() && digits(whole) && digits(frac) &&
                   (whole.size() == 1 || whole[0] != '0') &&
                   (dot == std::string_view::npos || (!frac.empty() && frac.back() != '0')) &&
                   !(negative && whole == "0" && dot == std::string_view::npos);
  if (canonical) {
    result = v;
    return true;
  }
  if (!CanonicalPlainNumber(v, out)) return false;
  result = out;
  return true;
}

// The value as the line identity reads it, for the forms other than kCaseless (`buf` may hold
// it).
std::string_view IdentityValue(IdentityForm form, std::string_view v, std::string& buf) {
  switch (form) {
    case IdentityForm::kDay: {
      int32_t day = ParseDay(v);
      if (day == 0) return v;
      buf.resize(8);
      for (int i = 7; i >= 0; --i, day /= 10)
        buf[static_cast<size_t>(i)] = static_cast<char>('0' + day % 10);
      return buf;
    }
    case IdentityForm::kNumber: {
      std::string_view result;
      if (CanonicalNumberView(v, buf, result)) return result;
      auto exact = ParseUsageNumber(v, /*allow_exponent=*/true);  // "2.4E1"
      if (!exact.ok()) return v;
      std::string plain = exact->ToString();
      return CanonicalPlainNumber(plain, buf) ? std::string_view(buf) : v;
    }
    default:
      return v;
  }
}

// Line identity (line_identity.h) over the values in column order. With `forms` (Partner
// Center), each value is first put in its canonical form and an empty value counts as absent;
// without (FOCUS), values are hashed as written and absent differs from empty. `may_have_cr`:
// some value may hold a '\r' (CRLF inside a quoted field hashes like LF, so the same line
// reads the same from an LF and a CRLF file).
uint64_t LineKey(const LineIdentityKey& key, std::string_view tag, const RowView& view,
                 const IdentityForm* forms, bool may_have_cr, std::string& stripped,
                 std::string& canonical) {
  LineHash hash(key, tag);
  for (size_t i = 0; i < view.size(); ++i) {
    std::string_view v = view[i];
    if (!Present(v) || (forms != nullptr && v.empty())) {
      hash.AddAbsent();
      continue;
    }
    if (may_have_cr && v.find('\r') != std::string_view::npos) {
      stripped.assign(v);
      stripped.erase(std::remove(stripped.begin(), stripped.end(), '\r'), stripped.end());
      v = stripped;
    }
    if (forms == nullptr || forms[i] == IdentityForm::kText) {
      hash.Add(v);
    } else if (forms[i] == IdentityForm::kCaseless) {
      hash.AddCaseless(v);
    } else {
      hash.Add(IdentityValue(forms[i], v, canonical));
    }
  }
  return hash.Finish(view.size());
}

// The checks of a row that depend on the file's options.
struct RowRules {
  int32_t min_day = 20000101;  // yyyymmdd, inclusive
  int32_t max_day = 99991231;
};

// Where a row's problems go: the sink, with the file and line.
struct RowContext {
  const std::string& file;
  int64_t line;
  UsageSink& sink;
  int errors = 0;
  void Error(std::string column, std::string reason) {
    ++errors;
    sink.Reject({file, line, std::move(column), std::move(reason)});
  }
};

// Buffers for the values a row needs rewritten (case) or unescaped; reused row after row.
struct RowScratch {
  std::string customer, subscription, currency, stripped, canonical;
};

bool IsNull(std::string_view v, bool focus) { return v.empty() || (focus && v == "NULL"); }

// What a number column may hold (usage_reader.h lists the bounds).
struct Bound {
  int max_digits;                  // |value| < 10^max_digits
  bool negative_allowed;           // on this row
  const char* negative_rule = "";  // where a negative value is allowed, for the message
};

const Decimal& PowerOfTen(int digits) {
  static const auto* powers = [] {
    auto* p = new std::array<Decimal, 19>;
    Int128 v = 1;
    for (int i = 0; i < 19; ++i, v *= 10) (*p)[static_cast<size_t>(i)] = *Decimal::FromParts(v, 0);
    return p;
  }();
  return (*powers)[static_cast<size_t>(digits)];
}

// A required number column within its bound; records the error and returns nullopt when it is
// bad.
std::optional<Decimal> Number(RowContext& ctx, const RowView& view, size_t col,
                              const ColumnSpec& spec, bool allow_exponent, const Bound& bound) {
  std::string_view text = view[col];
  auto d = ParseUsageNumber(text, allow_exponent);
  if (!d.ok()) {
    ctx.Error(spec.name, d.error().message);
    return std::nullopt;
  }
  if (d->scale() > kMaxUsageScale) {
    ctx.Error(spec.name, Quote(text) + " has " + std::to_string(d->scale()) +
                             " digits after the point; at most " + std::to_string(kMaxUsageScale) +
                             " are allowed");
    return std::nullopt;
  }
  if (d->IsNegative() && !bound.negative_allowed) {
    ctx.Error(spec.name, Quote(text) + " is negative; " + bound.negative_rule);
    return std::nullopt;
  }
  const Decimal magnitude = d->IsNegative() ? d->Negate() : *d;
  if (magnitude >= PowerOfTen(bound.max_digits)) {
    std::string limit = "10^" + std::to_string(bound.max_digits);
    ctx.Error(spec.name, Quote(text) + " is out of range for " + spec.name + ": allowed is " +
                             (bound.negative_allowed ? "-" + limit + " < value < " + limit
                                                     : "0 <= value < " + limit));
    return std::nullopt;
  }
  return *d;
}

// ASCII case-insensitive `needle` in `text`.
bool ContainsCaseless(std::string_view text, std::string_view needle) {
  auto lower = [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c | 0x20 : c); };
  if (needle.size() > text.size()) return false;
  for (size_t i = 0; i + needle.size() <= text.size(); ++i) {
    size_t k = 0;
    while (k < needle.size() && lower(text[i + k]) == needle[k]) ++k;
    if (k == needle.size()) return true;
  }
  return false;
}

// A Partner Center row that gives money back: its ChargeType names a refund, a credit, a
// cancellation, a correction or an adjustment. Only these may have a negative Quantity.
bool IsPartnerCenterCredit(std::string_view charge_type) {
  for (std::string_view word : {"refund", "credit", "cancel", "correction", "adjust"}) {
    if (ContainsCaseless(charge_type, word)) return true;
  }
  return false;
}

constexpr const char* kPcNegativeRule =
    "a negative Quantity is allowed only on a credit or refund row (ChargeType naming a refund, "
    "credit, cancellation, correction or adjustment)";
constexpr const char* kNeverNegative = "a price is never negative";

// The day of a date column, within the accepted window; 0 (the error recorded) otherwise.
int32_t Day(RowContext& ctx, const char* column, std::string_view text, const RowRules& rules) {
  std::string why;
  int32_t day = ParseUsageDay(text, &why);
  if (day == 0) {
    ctx.Error(column, Quote(text) + " " + why);
    return 0;
  }
  if (day < rules.min_day || day > rules.max_day) {
    ctx.Error(column, Quote(text) + " is outside the usage dates accepted, " +
                          FormatDay(rules.min_day) + " through " + FormatDay(rules.max_day) +
                          " (the end of the month after the current one)");
    return 0;
  }
  return day;
}

std::optional<std::string_view> RequiredText(RowContext& ctx, const RowView& view, size_t col,
                                             const ColumnSpec& spec, bool focus) {
  if (IsNull(view[col], focus)) {
    ctx.Error(spec.name, "is empty; a value is required");
    return std::nullopt;
  }
  return view[col];
}

// The row of a Partner Center record, or false (its problems reported) when it is bad.
bool MapPartnerCenter(RowContext& ctx, const LineIdentityKey& key, const RowRules& rules,
                      const RowView& v, bool json, bool may_have_cr, RowScratch& s,
                      UsageRowView& row) {
  const auto& c = kPcColumns;
  int errors_before = ctx.errors;
  row.line = ctx.line;
  auto customer = RequiredText(ctx, v, kPcCustomerId, c[kPcCustomerId], false);
  auto subscription = RequiredText(ctx, v, kPcEntitlementId, c[kPcEntitlementId], false);
  auto day_text = RequiredText(ctx, v, kPcUsageDate, c[kPcUsageDate], false);
  int32_t day = 0;
  if (day_text) day = Day(ctx, "UsageDate", *day_text, rules);
  const bool credit = Present(v[kPcChargeType]) && IsPartnerCenterCredit(v[kPcChargeType]);
  auto price = Number(ctx, v, kPcUnitPrice, c[kPcUnitPrice], json,
                      {kMaxUnitPriceDigits, false, kNeverNegative});
  auto quantity = Number(ctx, v, kPcQuantity, c[kPcQuantity], json,
                         {kMaxQuantityDigits, credit, kPcNegativeRule});
  auto cost =
      Number(ctx, v, kPcBillingPreTaxTotal, c[kPcBillingPreTaxTotal], json, {kMaxCostDigits, true});
  auto currency = RequiredText(ctx, v, kPcBillingCurrency, c[kPcBillingCurrency], false);
  // PCToBCExchangeRate: pricing currency (UnitPrice's) to billing currency, as Partner Center
  // computes BillingPreTaxTotal. Absent or empty: the currencies are the same.
  std::optional<Decimal> rate;
  if (std::string_view r = v[kPcExchangeRate]; Present(r) && !r.empty() && r != "null") {
    rate = Number(ctx, v, kPcExchangeRate, c[kPcExchangeRate], json,
                  {kMaxUnitPriceDigits, false, "an exchange rate is never negative"});
  }
  if (ctx.errors != errors_before) return false;
  // The customer charge in the billing currency: UnitPrice × Quantity × PCToBCExchangeRate,
  // rescaled beyond 20 places after each product (precision.h).
  auto charge = MulRounded(*price, *quantity);
  if (charge.ok() && rate) charge = MulRounded(*charge, *rate);
  // A credit row carrying a CreditPercentage (Azure credit) is Microsoft's credit to the
  // partner: it lowers BillingPreTaxTotal, the partner's cost, and is not the customer's (the
  // customer pays for the usage it repeats). A refund or correction row still is.
  if (std::string_view pct = v[kPcCreditPercentage];
      credit && Present(pct) && !pct.empty() && pct != "null") {
    auto parsed = ParseUsageNumber(pct, json);
    if (parsed.ok() && !parsed->IsZero()) charge = Decimal();
  }
  if (!charge.ok()) {
    ctx.Error("UnitPrice",
              "UnitPrice × Quantity cannot be computed exactly: " + charge.error().message);
    return false;
  }
  row.customer_id = LowerView(*customer, s.customer);
  row.azure_subscription_id = NormalizeSubscription(*subscription, s.subscription);
  row.meter_category = v[kPcMeterCategory];
  row.day = day;
  row.currency = UpperView(*currency, s.currency);
  row.quantity = *quantity;
  row.charge = *charge;
  row.partner_cost = *cost;
  static const Decimal kSameCurrency = Decimal::Parse("1").value();
  row.exchange_rate = rate ? *rate : kSameCurrency;
  row.line_key = LineKey(key, "pc", v, kPcIdentity.data(), may_have_cr, s.stripped, s.canonical);
  return true;
}

bool MapFocus(RowContext& ctx, const LineIdentityKey& key, const RowRules& rules, const RowView& v,
              bool may_have_cr, RowScratch& s, UsageRowView& row) {
  const auto& c = kFocusColumns;
  int errors_before = ctx.errors;
  row.line = ctx.line;
  auto day_text = RequiredText(ctx, v, kFoChargePeriodStart, c[kFoChargePeriodStart], true);
  int32_t day = 0;
  if (day_text) day = Day(ctx, "ChargePeriodStart", *day_text, rules);
  // FOCUS exports do write negative quantities and costs on usage rows (the FOCUS sample data
  // has them), so only their size is bounded here.
  const Bound quantity_bound{kMaxQuantityDigits, true};
  const Bound cost_bound{kMaxCostDigits, true};
  const Bound price_bound{kMaxUnitPriceDigits, false, kNeverNegative};
  auto billed = Number(ctx, v, kFoBilledCost, c[kFoBilledCost], true, cost_bound);
  auto currency = RequiredText(ctx, v, kFoBillingCurrency, c[kFoBillingCurrency], true);
  Decimal quantity;
  if (!IsNull(v[kFoPricingQuantity], true)) {
    auto q = Number(ctx, v, kFoPricingQuantity, c[kFoPricingQuantity], true, quantity_bound);
    if (q) quantity = *q;
  }
  std::optional<Decimal> charge;
  if (!IsNull(v[kFoListUnitPrice], true) && !IsNull(v[kFoPricingQuantity], true)) {
    auto price = Number(ctx, v, kFoListUnitPrice, c[kFoListUnitPrice], true, price_bound);
    if (price) {
      auto product = MulRounded(*price, quantity);
      if (product.ok()) {
        charge = *product;
      } else {
        ctx.Error("ListUnitPrice", "ListUnitPrice × PricingQuantity cannot be computed exactly: " +
                                       product.error().message);
      }
    }
  } else {
    charge = Number(ctx, v, kFoListCost, c[kFoListCost], true, cost_bound);
  }
  if (ctx.errors != errors_before) return false;
  // ChargeCategory (FOCUS 1.0): Usage and Purchase rows are the customer's charges. Tax is not
  // pre-tax usage: neither charged nor in the partner's cost (CenturyLink taxes its own
  // invoice). Credit and Adjustment rows are between Microsoft and the partner: in the
  // partner's cost (BilledCost), not charged to the customer. Absent: Usage.
  const std::string_view charge_category =
      IsNull(v[kFoChargeCategory], true) ? std::string_view() : v[kFoChargeCategory];
  if (ContainsCaseless(charge_category, "tax")) {
    quantity = Decimal();
    charge = Decimal();
    billed = Decimal();
  } else if (ContainsCaseless(charge_category, "credit") ||
             ContainsCaseless(charge_category, "adjustment")) {
    charge = Decimal();
  }
  row.customer_id =
      IsNull(v[kFoCustomerId], true) ? std::string_view() : LowerView(v[kFoCustomerId], s.customer);
  row.azure_subscription_id = IsNull(v[kFoSubAccountId], true)
                                  ? std::string_view()
                                  : NormalizeSubscription(v[kFoSubAccountId], s.subscription);
  row.meter_category = !IsNull(v[kFoMeterCategory], true) ? v[kFoMeterCategory]
                       : !IsNull(v[kFoServiceName], true) ? v[kFoServiceName]
                                                          : std::string_view();
  row.day = day;
  row.currency = UpperView(*currency, s.currency);
  row.quantity = quantity;
  row.charge = *charge;
  row.partner_cost = *billed;
  row.exchange_rate.reset();
  row.line_key = LineKey(key, "focus", v, nullptr, may_have_cr, s.stripped, s.canonical);
  return true;
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
      if (c >= '0' && c <= '9')
        v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<uint32_t>(c - 'A' + 10);
      else
        return false;
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
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
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
        default:
          return (err_ = "a bad escape in a string", false);
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
// Chunk parsers: whole records of text → rows handed to a sink

struct Schema {
  UsageFormat format = UsageFormat::kPartnerCenterCsv;
  bool json = false;
  std::string file;
  size_t header_size = 0;
  std::vector<std::string> header_names;  // as written, for messages
  std::vector<int> index;                 // column spec → header position (-1 absent)
  LineIdentityKey line_identity = LineIdentityKey::Public();
  RowRules rules;
};

class ChunkParser {
 public:
  virtual ~ChunkParser() = default;
  // Parses `text` (whole records; its first line is `first_line` of the file). Returns the
  // sink's error, if any.
  virtual Status Parse(std::string_view text, int64_t first_line, UsageSink& sink) = 0;
};

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
      if (!JsonLineParser(one).Parse(fields_, error)) {
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

std::unique_ptr<ChunkParser> MakeParser(const Schema& schema) {
  if (schema.json) return std::make_unique<JsonChunkParser>(schema);
  return std::make_unique<CsvChunkParser>(schema);
}

// ---------------------------------------------------------------------------------------------
// Chunking: the decoded text cut at record boundaries

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

Result<std::unique_ptr<ByteSource>> OpenFileSource(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return InvalidArgument(path + ": cannot open: " + std::string(std::strerror(errno)));
  }
  return std::unique_ptr<ByteSource>(std::make_unique<FileSource>(f, path));
}

std::unique_ptr<ByteSource> DescriptorSource(int fd, std::string name) {
  return std::make_unique<DescriptorReader>(fd, std::move(name));
}

std::unique_ptr<ByteSource> MemorySource(std::string_view bytes) {
  return std::make_unique<MemSource>(bytes);
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
