#include "support/request_recognition.h"

#include <array>
#include <cctype>
#include <regex>
#include <string>

namespace pc::support {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(Trim(text.substr(start, end - start)));
    start = end + 1;
  }
  return out;
}

bool Has(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// "Label: value" (case-insensitive label) anywhere in the lines; "" when absent.
std::string Field(const std::vector<std::string>& lines, std::string_view label) {
  for (const auto& line : lines) {
    std::string low = Lower(line);
    if (low.starts_with(label) && low.size() > label.size() && low[label.size()] == ':') {
      return Trim(std::string_view(line).substr(label.size() + 1));
    }
  }
  return "";
}

std::optional<StructuredRequest> PortalUsers(const std::string& all,
                                             const std::vector<std::string>& lines) {
  if (!Has(all, "portal")) return std::nullopt;
  // "Jane Doe <jane@acme.example>" or "Jane Doe, jane@acme.example", optionally after a list
  // marker ("-", "*", "1.").
  static const std::regex kUser(
      R"(^(?:[-*]|[0-9]{1,2}[.)])?\s*([^\s<>,@:]+)\s+([^<>,@:]+?)\s*(?:<\s*([^<>\s@]+@[^<>\s@]+\.[^<>\s@]+)\s*>|,\s*([^<>\s,@]+@[^<>\s,@]+\.[^<>\s,@]+))$)");
  json::array users;
  for (const auto& line : lines) {
    if (line.size() > 320) continue;
    std::smatch m;
    if (!std::regex_match(line, m, kUser)) continue;
    std::string email = m[3].matched ? m[3].str() : m[4].str();
    users.push_back(json::object{
        {"firstName", m[1].str()}, {"lastName", Trim(m[2].str())}, {"email", Lower(email)}});
    if (users.size() == 50) break;
  }
  if (users.empty()) return std::nullopt;
  StructuredRequest r;
  r.kind = "portal-users";
  r.details["users"] = std::move(users);
  return r;
}

std::optional<StructuredRequest> CloseAccount(const std::string& all,
                                              const std::vector<std::string>& lines) {
  bool closing = (Has(all, "close") || Has(all, "closing") || Has(all, "cancel")) &&
                 (Has(all, "account") || Has(all, "subscription"));
  if (!closing) return std::nullopt;
  std::string first = Field(lines, "first name"), last = Field(lines, "last name");
  std::string company = Field(lines, "company"), reason = Field(lines, "reason");
  if (first.empty() || last.empty() || company.empty() || reason.empty()) return std::nullopt;
  StructuredRequest r;
  r.kind = "close-account";
  r.details = json::object{
      {"firstName", first}, {"lastName", last}, {"company", company}, {"reason", reason}};
  return r;
}

std::optional<StructuredRequest> BillingReport(const std::string& all, YearMonth now_month) {
  if (!Has(all, "detailed billing report") && !Has(all, "billing detail report")) {
    return std::nullopt;
  }
  YearMonth month = now_month.Prev();
  static const std::regex kIso(R"(\b([0-9]{4})-([0-9]{2})\b)");
  static const std::array<std::string_view, 12> kNames = {
      "january", "february", "march",     "april",   "may",      "june",
      "july",    "august",   "september", "october", "november", "december"};
  std::smatch m;
  if (std::regex_search(all, m, kIso)) {
    if (auto ym = YearMonth::Of(std::stoi(m[1].str()), std::stoi(m[2].str())); ym.ok()) {
      month = *ym;
    }
  } else {
    for (size_t i = 0; i < kNames.size(); ++i) {
      std::regex named("\\b" + std::string(kNames[i]) + "\\s+([0-9]{4})\\b");
      if (std::regex_search(all, m, named)) {
        if (auto ym = YearMonth::Of(std::stoi(m[1].str()), static_cast<int>(i) + 1); ym.ok()) {
          month = *ym;
        }
        break;
      }
    }
  }
  StructuredRequest r;
  r.kind = "billing-report";
  r.details = json::object{{"month", month.ToString()}};
  return r;
}

}  // namespace

std::optional<StructuredRequest> RecognizeRequest(std::string_view subject, std::string_view text,
                                                  YearMonth now_month) {
  // Bounded work whatever arrives: only the start of a long message is read for a form.
  constexpr size_t kMaxRead = 16 * 1024;
  std::string_view head = text.substr(0, std::min(text.size(), kMaxRead));
  std::string all = Lower(subject) + "\n" + Lower(head);
  auto lines = Lines(head);
  std::optional<StructuredRequest> r = CloseAccount(all, lines);
  if (!r) r = BillingReport(all, now_month);
  if (!r) r = PortalUsers(all, lines);
  if (r) r->state = "pending-approval";
  return r;
}

std::string_view TopicOfRequest(std::string_view kind) {
  if (kind == "portal-users") return "portal-users";
  if (kind == "close-account") return "subscription-management";
  if (kind == "permit-service") return "subscription-management";
  return "billing";
}

}  // namespace pc::support
