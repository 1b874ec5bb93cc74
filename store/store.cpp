#include "store/store.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <random>
#include <stdexcept>
#include <thread>

#include "store/backend.h"

namespace pc::store {

const std::string& Row::Text(size_t i) const {
  static const std::string kEmpty;
  const auto& value = values_.at(i);
  return value ? *value : kEmpty;
}

int64_t Row::Int(size_t i) const {
  const auto& value = values_.at(i);
  if (!value) return 0;
  int64_t out = 0;
  const char* end = value->data() + value->size();
  auto [ptr, ec] = std::from_chars(value->data(), end, out);
  if (ec != std::errc() || ptr != end || value->empty()) {
    std::string column = i < names_->size() ? (*names_)[i] : std::to_string(i);
    throw std::runtime_error("store: column \"" + column + "\" is not an integer");
  }
  return out;
}

size_t Row::IndexOf(std::string_view column) const {
  auto it = std::find(names_->begin(), names_->end(), column);
  if (it == names_->end()) {
    throw std::out_of_range("store: no column \"" + std::string(column) + "\" in the row");
  }
  return static_cast<size_t>(it - names_->begin());
}

const std::string& Row::Text(std::string_view column) const { return Text(IndexOf(column)); }
int64_t Row::Int(std::string_view column) const { return Int(IndexOf(column)); }
bool Row::IsNull(std::string_view column) const { return IsNull(IndexOf(column)); }

Result<std::unique_ptr<Database>> Database::Open(std::string_view url) {
  if (url.starts_with("sqlite:")) {
    std::string_view path = url.substr(std::string_view("sqlite:").size());
    if (path.empty()) return InvalidArgument("database URL \"sqlite:\" needs a file path");
    return internal::OpenSqlite(path);
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return internal::OpenPostgres(url);
  }
  std::string_view scheme = url.substr(0, url.find(':'));
  if (scheme.size() == url.size()) scheme = "";
  return InvalidArgument("unsupported database URL scheme \"" + std::string(scheme) +
                         "\": use sqlite:PATH or postgresql://USER@HOST:PORT/DB");
}

Status Database::InTransaction(const std::function<Status(Transaction&)>& fn) {
  return detail::RunInTransaction<Status>(*this, fn);
}

Status Database::InReadTransaction(const std::function<Status(Transaction&)>& fn) {
  return detail::RunInTransaction<Status>(*this, fn, detail::Access::kReadOnly);
}

namespace internal {

// The first words of a statement, to say which one failed without quoting all of it.
std::string Abbreviate(std::string_view sql) {
  constexpr size_t kMax = 60;
  size_t start = sql.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return "";
  sql = sql.substr(start);
  std::string out(sql.substr(0, kMax));
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return sql.size() > kMax ? out + "..." : out;
}

}  // namespace internal

namespace detail {

void SleepBeforeRetry(int attempt) {
  using std::chrono::microseconds;
  constexpr int64_t kFirstUs = 2'000;
  constexpr int64_t kMaxUs = 200'000;
  int64_t ceiling = kFirstUs << std::clamp(attempt - 1, 0, 16);
  ceiling = std::min(ceiling, kMaxUs);
  // Jitter in [ceiling/2, ceiling] keeps colliding writers from retrying in lockstep.
  thread_local std::minstd_rand rng(std::random_device{}());
  std::uniform_int_distribution<int64_t> jitter(ceiling / 2, ceiling);
  std::this_thread::sleep_for(microseconds(jitter(rng)));
}

}  // namespace detail

}  // namespace pc::store
