#include "billing/usage_input.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <limits>

namespace pc::billing {

namespace {

constexpr size_t kReadBlock = 1 << 20;

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

// A limit as a person reads it: "16 GiB", "64 MiB", "1000 bytes".
std::string Bytes(uint64_t n) {
  if (n >= (uint64_t{1} << 30) && n % (uint64_t{1} << 30) == 0) {
    return std::to_string(n >> 30) + " GiB";
  }
  if (n >= (uint64_t{1} << 20) && n % (uint64_t{1} << 20) == 0) {
    return std::to_string(n >> 20) + " MiB";
  }
  return std::to_string(n) + " bytes";
}

}  // namespace

namespace internal {

InputStream::InputStream(std::unique_ptr<ByteSource> source, std::string name,
                         uint64_t max_expanded, uint64_t max_ratio)
    : source_(std::move(source)),
      name_(std::move(name)),
      max_expanded_(max_expanded),
      max_ratio_(std::max<uint64_t>(1, max_ratio)),
      sha_(EVP_MD_CTX_new()) {
  // OpenSSL's SHA-256 uses the CPU's SHA extensions where present.
  if (sha_ != nullptr) EVP_DigestInit_ex(sha_, EVP_sha256(), nullptr);
}

InputStream::~InputStream() {
  if (gzip_) inflateEnd(&z_);
  EVP_MD_CTX_free(sha_);
}

Result<bool> InputStream::ReadInto(TextBuffer& out, size_t max) {
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

Status InputStream::DigestText(std::string_view text) {
  if (gzip_ || text.empty()) return {};
  return Digest(text.data(), text.size());
}

std::string InputStream::Digest() const {
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

Status InputStream::CheckExpansion() const {
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

Status InputStream::Digest(const char* bytes, size_t n) {
  if (sha_ == nullptr || EVP_DigestUpdate(sha_, bytes, n) != 1) {
    return Internal("SHA-256 of the file failed");
  }
  return {};
}

Status InputStream::FillRaw() {
  raw_.resize(kReadBlock);
  PC_ASSIGN_OR_RETURN(size_t n, source_->Read(raw_.data(), raw_.size()));
  raw_.resize(n);
  raw_pos_ = 0;
  return gzip_ ? Digest(raw_.data(), n) : Status();
}

}  // namespace internal

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

}  // namespace pc::billing
