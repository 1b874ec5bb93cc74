#include "core/secret_box.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/random.h"

namespace pc {

namespace {

constexpr std::string_view kPrefix = "sb1:";

std::string ToBase64(const unsigned char* data, size_t n) {
  std::string out(sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), data, n, sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

bool FromBase64(std::string_view text, std::string& out) {
  out.assign(text.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    return false;
  }
  out.resize(len);
  return true;
}

}  // namespace

Result<SecretBox> SecretBox::Load(const std::string& key_file) {
  InitCrypto();
  SecretBox box;
  if (const char* env = std::getenv("PARTNERCLOUD_SECRET_KEY"); env && *env) {
    if (!FromBase64(env, box.key_) || box.key_.size() != crypto_secretbox_KEYBYTES) {
      return InvalidArgument("PARTNERCLOUD_SECRET_KEY must be 32 bytes in base64");
    }
    return box;
  }
  auto read = [&](std::ifstream& in) -> Result<SecretBox> {
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (!FromBase64(text, box.key_) || box.key_.size() != crypto_secretbox_KEYBYTES) {
      return InvalidArgument("The key file " + key_file + " does not hold a 32-byte base64 key");
    }
    return box;
  };
  if (std::ifstream in(key_file); in) return read(in);
  box.key_.resize(crypto_secretbox_KEYBYTES);
  randombytes_buf(box.key_.data(), box.key_.size());
  std::error_code ec;
  auto parent = std::filesystem::path(key_file).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  // Written whole to a file of its own, then linked to its name: a process that is killed or
  // that loses the race to another one starting at the same time (two `support mail-in`, say)
  // never leaves a partial key, and every process ends up with the one key that won.
  std::string tmp = key_file + ".tmp-" + std::to_string(::getpid()) + "-" + RandomToken(6);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return Unavailable("Cannot create the key file " + key_file);
  std::string text =
      ToBase64(reinterpret_cast<const unsigned char*>(box.key_.data()), box.key_.size()) + "\n";
  bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                 ::fsync(fd) == 0;
  ::close(fd);
  bool linked = written && ::link(tmp.c_str(), key_file.c_str()) == 0;
  int link_errno = errno;
  ::unlink(tmp.c_str());
  if (!written) return Unavailable("Cannot write the key file " + key_file);
  if (!linked) {
    if (std::ifstream in(key_file); link_errno == EEXIST && in) {
      return read(in);  // another process made it first
    }
    return Unavailable("Cannot create the key file " + key_file);
  }
  return box;
}

SecretBox SecretBox::Random() {
  InitCrypto();
  SecretBox box;
  box.key_.resize(crypto_secretbox_KEYBYTES);
  randombytes_buf(box.key_.data(), box.key_.size());
  return box;
}

std::string SecretBox::Seal(std::string_view plaintext) const {
  std::string buf(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* p = reinterpret_cast<unsigned char*>(buf.data());
  randombytes_buf(p, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(p + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                        p, reinterpret_cast<const unsigned char*>(key_.data()));
  return std::string(kPrefix) + ToBase64(p, buf.size());
}

Result<std::string> SecretBox::Open(std::string_view sealed) const {
  if (!sealed.starts_with(kPrefix)) return InvalidArgument("Not a sealed secret");
  std::string raw;
  if (!FromBase64(sealed.substr(kPrefix.size()), raw) ||
      raw.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return InvalidArgument("Not a sealed secret");
  }
  auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  std::string out(raw.size() - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(out.data()),
                                 p + crypto_secretbox_NONCEBYTES,
                                 raw.size() - crypto_secretbox_NONCEBYTES, p,
                                 reinterpret_cast<const unsigned char*>(key_.data())) != 0) {
    return InvalidArgument("The sealed secret does not open with this key");
  }
  return out;
}

}  // namespace pc
