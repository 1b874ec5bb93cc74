// Service levels: first-response and resolution targets per topic, counted in business hours of
// a calendar (weekdays, opening hours in UTC, holidays). The clock pauses while a ticket is
// waiting-on-customer or escalated (ticket_store.cpp moves the due times when it resumes).
#pragma once

#include <array>
#include <map>
#include <set>
#include <string>

#include "core/result.h"
#include "core/time.h"
#include "support/ticket_store.h"

namespace pc::support {

struct SupportOptions;

struct Calendar {
  std::array<bool, 7> open_days{};  // 0 = Sunday
  int open_minute = 8 * 60;         // minutes after midnight UTC
  int close_minute = 18 * 60;
  std::set<std::string> holidays;  // "YYYY-MM-DD"
};

// "Mon-Fri 08:00-18:00" (days as a range or a comma list: "Mon,Wed,Fri 09:00-17:00") and
// holidays "2026-12-25,2027-01-01". Errors: InvalidArgument saying what is expected.
Result<Calendar> ParseCalendar(std::string_view hours, std::string_view holidays);

struct Target {
  int64_t first_response_minutes = 4 * 60;
  int64_t resolution_minutes = 40 * 60;
};
// "default=4h/40h,microsoft-escalation=8h/80h": per topic (or default) the first-response and
// resolution targets in business hours ("h") or minutes ("m").
Result<std::map<std::string, Target>> ParseTargets(std::string_view text);

// `start` plus `minutes` of business time.
Timestamp AddBusinessMinutes(const Calendar& calendar, Timestamp start, int64_t minutes);

// Fills the due times of a new ticket from the options' calendar and targets (defaults when
// they do not parse; the configuration is checked at start).
void SetDueTimes(NewTicket& ticket, Timestamp created, const SupportOptions& options);

}  // namespace pc::support
