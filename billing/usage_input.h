// The bytes of a usage file (internal to the usage readers; their contract is usage_reader.h):
// the buffer text is read into, and the decoded stream (gunzipped when the file is gzip) with
// the file's SHA-256. The byte sources themselves are declared in usage_reader.h.
#pragma once

#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "billing/usage_reader.h"
#include "core/result.h"

namespace pc::billing::internal {

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
              uint64_t max_ratio);
  ~InputStream();
  InputStream(const InputStream&) = delete;
  InputStream& operator=(const InputStream&) = delete;

  // Appends up to `max` (> 0) decoded bytes to `out`; returns false at the end of the input.
  Result<bool> ReadInto(TextBuffer& out, size_t max);

  // Digests decoded text that came from plain (not gzip) input; the caller hands every byte of
  // the input over once, in order. Nothing to do for gzip input.
  Status DigestText(std::string_view text);

  // The SHA-256 (hex) of what was digested so far.
  std::string Digest() const;

 private:
  // A compression bomb is stopped as soon as it passes a limit, not after its full expansion.
  Status CheckExpansion() const;
  Status Digest(const char* bytes, size_t n);
  Status FillRaw();

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

}  // namespace pc::billing::internal
