#include "support/sla.h"

#include <algorithm>
#include <vector>

#include "support/support_service.h"

namespace pc::support {

namespace {

constexpr const char* kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) end = s.size();
    std::string part(s.substr(start, end - start));
    part.erase(0, part.find_first_not_of(' '));
    part.erase(part.find_last_not_of(' ') + 1);
    if (!part.empty()) out.push_back(part);
    start = end + 1;
  }
  return out;
}

int DayIndex(std::string_view name) {
  for (int i = 0; i < 7; ++i) {
    if (Lower(name) == kDays[i]) return i;
  }
  return -1;
}

int ParseClock(std::string_view t) {
  if (t.size() != 5 || t[2] != ':') return -1;
  for (int i : {0, 1, 3, 4}) {
    if (t[i] < '0' || t[i] > '9') return -1;
  }
  int h = (t[0] - '0') * 10 + (t[1] - '0');
  int m = (t[3] - '0') * 10 + (t[4] - '0');
  if (h > 24 || m > 59 || (h == 24 && m != 0)) return -1;
  return h * 60 + m;
}

}  // namespace

Result<Calendar> ParseCalendar(std::string_view hours, std::string_view holidays) {
  Error bad = InvalidArgument(
      "support.business_hours must look like \"Mon-Fri 08:00-18:00\" (UTC), got '" +
      std::string(hours) + "'");
  Calendar c;
  size_t space = hours.find(' ');
  if (space == std::string_view::npos) return bad;
  std::string days(hours.substr(0, space));
  std::string times(hours.substr(space + 1));
  for (const auto& part : Split(days, ',')) {
    size_t dash = part.find('-');
    if (dash == std::string::npos) {
      int d = DayIndex(part);
      if (d < 0) return bad;
      c.open_days[d] = true;
    } else {
      int a = DayIndex(part.substr(0, dash));
      int b = DayIndex(part.substr(dash + 1));
      if (a < 0 || b < 0) return bad;
      for (int d = a;; d = (d + 1) % 7) {
        c.open_days[d] = true;
        if (d == b) break;
      }
    }
  }
  size_t dash = times.find('-');
  if (dash == std::string::npos) return bad;
  c.open_minute = ParseClock(times.substr(0, dash));
  c.close_minute = ParseClock(times.substr(dash + 1));
  if (c.open_minute < 0 || c.close_minute <= c.open_minute) return bad;
  for (const auto& h : Split(holidays, ',')) {
    if (!ParseTimestamp(h).ok() || h.size() != 10) {
      return InvalidArgument("support.holidays is a comma list of dates YYYY-MM-DD; '" + h +
                             "' is not one");
    }
    c.holidays.insert(h);
  }
  return c;
}

Result<std::map<std::string, Target>> ParseTargets(std::string_view text) {
  std::map<std::string, Target> out;
  out["default"] = Target{};
  auto minutes = [](std::string_view v) -> int64_t {
    if (v.size() < 2) return -1;
    char unit = v.back();
    std::string digits(v.substr(0, v.size() - 1));
    if (digits.size() > 6 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return -1;
    int64_t n = std::stoll(digits);
    if (unit == 'h') return n * 60;
    if (unit == 'm') return n;
    return -1;
  };
  for (const auto& item : Split(text, ',')) {
    size_t eq = item.find('=');
    size_t slash = item.find('/');
    Error bad = InvalidArgument(
        "support.sla_targets is a comma list of topic=FIRST/RESOLUTION in business hours, "
        "e.g. \"default=4h/40h,billing=8h/80h\"; '" +
        item + "' is not");
    if (eq == std::string::npos || slash == std::string::npos || slash < eq) return bad;
    int64_t first = minutes(std::string_view(item).substr(eq + 1, slash - eq - 1));
    int64_t resolution = minutes(std::string_view(item).substr(slash + 1));
    if (first <= 0 || resolution <= 0) return bad;
    out[item.substr(0, eq)] = Target{first, resolution};
  }
  return out;
}

Timestamp AddBusinessMinutes(const Calendar& calendar, Timestamp start, int64_t minutes) {
  using std::chrono::days;
  using std::chrono::floor;
  if (std::none_of(calendar.open_days.begin(), calendar.open_days.end(),
                   [](bool b) { return b; })) {
    return start + std::chrono::minutes(minutes);  // no calendar: wall-clock time
  }
  Timestamp t = start;
  auto remaining = std::chrono::microseconds(std::chrono::minutes(minutes));
  for (int guard = 0; guard < 5000 && remaining.count() > 0; ++guard) {
    auto day = floor<days>(t);
    std::chrono::weekday wd{std::chrono::sys_days(day)};
    std::string date = FormatTimestamp(Timestamp(day)).substr(0, 10);
    Timestamp open = Timestamp(day) + std::chrono::minutes(calendar.open_minute);
    Timestamp close = Timestamp(day) + std::chrono::minutes(calendar.close_minute);
    if (!calendar.open_days[wd.c_encoding()] || calendar.holidays.count(date) || t >= close) {
      t = Timestamp(day + days(1));
      continue;
    }
    if (t < open) t = open;
    auto available = close - t;
    if (available >= remaining) return t + remaining;
    remaining -= available;
    t = Timestamp(day + days(1));
  }
  return t;
}

void SetDueTimes(NewTicket& ticket, Timestamp created, const SupportOptions& options) {
  auto calendar = ParseCalendar(options.business_hours.empty() ? "Mon-Fri 08:00-18:00"
                                                               : options.business_hours,
                                options.holidays);
  auto targets = ParseTargets(options.sla_targets);
  if (!calendar.ok() || !targets.ok()) return;
  Target target = targets->count(ticket.topic) ? targets->at(ticket.topic) : targets->at("default");
  if (ticket.scope != "in") return;  // answered automatically; no queue target
  ticket.first_response_due_at =
      FormatTimestamp(AddBusinessMinutes(*calendar, created, target.first_response_minutes));
  ticket.resolution_due_at =
      FormatTimestamp(AddBusinessMinutes(*calendar, created, target.resolution_minutes));
}

}  // namespace pc::support
