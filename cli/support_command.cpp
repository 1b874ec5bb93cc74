#include "cli/support_command.h"

#include <unistd.h>

#include <iostream>
#include <memory>

#include "cli/service.h"
#include "core/random.h"
#include "core/secret_box.h"
#include "support/mail_intake.h"
#include "support/sla.h"

namespace pc::cli {

Result<support::SupportOptions> SupportOptionsFromConfig(const Config& config) {
  support::SupportOptions o;
  if (config.support_max_message_bytes < 1024) {
    return InvalidArgument("support.max_message_bytes must be at least 1024");
  }
  if (config.support_max_attachment_bytes < 1 ||
      config.support_max_attachment_bytes > config.support_max_message_bytes) {
    return InvalidArgument("support.max_attachment_bytes must be 1..support.max_message_bytes");
  }
  if (config.support_max_auto_replies_per_hour < 0) {
    return InvalidArgument("support.max_auto_replies_per_hour must not be negative");
  }
  if (config.support_address.find('@') == std::string::npos) {
    return InvalidArgument("support.address must be an email address such as support@example.com");
  }
  PC_RETURN_IF_ERROR(
      support::ParseCalendar(config.support_business_hours, config.support_holidays));
  PC_RETURN_IF_ERROR(support::ParseTargets(config.support_sla_targets));
  o.max_message_bytes = config.support_max_message_bytes;
  o.max_attachment_bytes = config.support_max_attachment_bytes;
  o.max_auto_replies_per_hour = config.support_max_auto_replies_per_hour;
  o.address = config.support_address;
  o.business_hours = config.support_business_hours;
  o.holidays = config.support_holidays;
  o.sla_targets = config.support_sla_targets;
  return o;
}

namespace {

// sysexits.h
constexpr int kExOk = 0;
constexpr int kExDataErr = 65;
constexpr int kExTempFail = 75;

// Reads standard input, keeping at most `keep` bytes; sets *over when there was more (the rest
// is read and dropped, so the MTA's pipe is not broken).
std::string ReadStdin(size_t keep, bool* over) {
  std::string data;
  *over = false;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (!*over && data.size() + static_cast<size_t>(n) <= keep) {
      data.append(buf, static_cast<size_t>(n));
    } else {
      *over = true;
      data.clear();
    }
  }
  return data;
}

int RunMailIn(const CommonFlags& flags) {
  auto loaded = LoadConfig(flags);
  auto options = loaded.ok() ? SupportOptionsFromConfig(*loaded)
                             : Result<support::SupportOptions>(loaded.error());
  if (!options.ok()) {
    // A configuration mistake: the MTA keeps the message and retries once it is fixed.
    std::cerr << "error: " << options.error().message << "\n";
    return kExTempFail;
  }
  bool over = false;
  std::string raw = ReadStdin(static_cast<size_t>(options->max_message_bytes), &over);
  if (over) {
    std::cerr << "message refused: larger than support.max_message_bytes ("
              << options->max_message_bytes << " bytes)\n";
    return kExDataErr;
  }
  InitCrypto();
  auto db = OpenDatabase(*loaded);
  if (!db.ok()) {
    std::cerr << "error: database unavailable, try again later: " << db.error().message << "\n";
    return kExTempFail;
  }
  // The reply token key is sealed with the installation's secret key (security.secret_key_file,
  // the same as `serve`'s).
  auto secrets = SecretBox::Load(loaded->secret_key_file);
  if (!secrets.ok()) {
    std::cerr << "error: " << secrets.error().message << "\n";
    return kExTempFail;
  }
  support::SupportService desk(**db, *secrets, *options);
  auto result = support::ReceiveMail(desk, raw);
  if (!result.ok()) {
    if (result.error().code == ErrorCode::kPayloadTooLarge) {
      std::cerr << "message refused: " << result.error().message << "\n";
      return kExDataErr;
    }
    std::cerr << "error: not stored, try again later: " << result.error().message << "\n";
    return kExTempFail;
  }
  using Outcome = support::IntakeResult::Outcome;
  switch (result->outcome) {
    case Outcome::kDuplicate:
      std::cout << "duplicate: already stored\n";
      break;
    case Outcome::kQuarantined:
      std::cout << "quarantined " << result->raw_id << ": " << result->reason << "\n";
      break;
    case Outcome::kIgnored:
      std::cout << "stored " << result->raw_id << ": " << result->reason << "\n";
      break;
    case Outcome::kStored:
      std::cout << "stored " << result->raw_id << " in " << result->ticket_id.value_or("-") << " ("
                << result->thread_match << ")" << (result->auto_answered ? ", answered" : "")
                << (result->reason.empty() ? "" : "; " + result->reason) << "\n";
      break;
  }
  return kExOk;
}

}  // namespace

void AddSupportCommand(CLI::App& app) {
  auto flags = std::make_shared<CommonFlags>();
  auto* support = app.add_subcommand("support", "Support desk");
  support->require_subcommand(1);
  auto* mail_in = support->add_subcommand(
      "mail-in",
      "Store one RFC 5322 message read from standard input (an MTA pipe transport). Exit 0 "
      "stored (or a duplicate, or quarantined), 65 larger than support.max_message_bytes, 75 "
      "database unavailable (the MTA retries)");
  AddCommonFlags(mail_in, *flags);
  mail_in->callback([flags] {
    int code = RunMailIn(*flags);
    if (code != kExOk) throw CLI::RuntimeError(code);
  });
}

}  // namespace pc::cli
