#include "jobs/instance.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/random.h"
#include "core/uuid.h"

namespace pc::jobs {

namespace {

std::string HostName() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[512];
  off_t at = 0;
  while (out.size() < 4096) {
    ssize_t n = pread(fd, buf, sizeof buf, at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    at += n;
  }
  return out;
}

// The value of "key=value" on its own line of `text`, or "".
std::string Field(const std::string& text, const std::string& key) {
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    std::string line = text.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    if (line.starts_with(key + "=")) return line.substr(key.size() + 1);
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  return "";
}

// This boot of the machine: a data folder carried to another machine (or a cloned one) never
// finds its instance again, and neither does this machine after a reboot (which takes longer
// than a lease anyway).
std::string BootId() {
  int fd = ::open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string id = ReadAll(fd);
  ::close(fd);
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  return id;
}

// The file itself (a copy of it, even at the same path in another container, is another file).
std::string FileId(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return "";
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

bool WriteAll(int fd, const std::string& text) {
  if (ftruncate(fd, 0) != 0) return false;
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = pwrite(fd, text.data() + done, text.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return fsync(fd) == 0;
}

}  // namespace

std::string OwnersOfInstancePattern(std::string_view instance) {
  std::string out;
  for (char c : instance) {
    if (c == '\\' || c == '%' || c == '_') out += '\\';
    out += c;
  }
  return out + ":%";
}

InstanceIdentity InstanceIdentity::Ephemeral() {
  InstanceIdentity id;
  id.instance_ = "ephemeral-" + Uuid::V4().ToString();
  id.incarnation_ = RandomToken(6);
  return id;
}

InstanceIdentity InstanceIdentity::Acquire(const std::string& path) {
  std::error_code ec;
  auto folder = std::filesystem::path(path).parent_path();
  if (!folder.empty()) std::filesystem::create_directories(folder, ec);
  const std::string host = HostName();
  for (int slot = 1; slot <= kSlots; ++slot) {
    std::string file = slot == 1 ? path : path + "." + std::to_string(slot);
    int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      spdlog::warn(
          "instance file {}: {}; this process's job leases will not be reclaimed at "
          "its next start",
          file, std::strerror(errno));
      break;
    }
    int locked;
    do {
      locked = flock(fd, LOCK_EX | LOCK_NB);
    } while (locked != 0 && errno == EINTR);
    if (locked != 0) {  // a live process holds this slot
      ::close(fd);
      continue;
    }
    char resolved[PATH_MAX];
    std::string where = realpath(file.c_str(), resolved) != nullptr ? resolved : file;
    std::string text = ReadAll(fd);
    std::string instance = Field(text, "instance");
    const std::string boot = BootId(), file_id = FileId(fd);
    if (instance.empty() || Field(text, "host") != host || Field(text, "path") != where ||
        Field(text, "boot") != boot || Field(text, "file") != file_id) {
      // New, copied (another host, machine, boot, folder or file): a new instance of its own.
      instance = Uuid::V4().ToString();
      if (!WriteAll(fd, "instance=" + instance + "\nhost=" + host + "\npath=" + where +
                            "\nboot=" + boot + "\nfile=" + file_id + "\n")) {
        spdlog::warn("instance file {}: cannot write it: {}", file, std::strerror(errno));
        ::close(fd);
        break;
      }
    }
    InstanceIdentity id;
    id.instance_ = std::move(instance);
    id.incarnation_ = RandomToken(6);
    id.file_ = std::move(file);
    id.fd_ = fd;
    return id;
  }
  return Ephemeral();
}

InstanceIdentity::InstanceIdentity(InstanceIdentity&& other) noexcept
    : instance_(std::move(other.instance_)),
      incarnation_(std::move(other.incarnation_)),
      file_(std::move(other.file_)),
      fd_(other.fd_) {
  other.fd_ = -1;
}

InstanceIdentity& InstanceIdentity::operator=(InstanceIdentity&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    instance_ = std::move(other.instance_);
    incarnation_ = std::move(other.incarnation_);
    file_ = std::move(other.file_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

InstanceIdentity::~InstanceIdentity() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

}  // namespace pc::jobs
