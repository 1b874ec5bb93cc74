#include "core/result.h"

#include "core/error_codes.h"

namespace pc {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "InvalidArgument";
    case ErrorCode::kUnauthenticated:
      return "Unauthenticated";
    case ErrorCode::kPermissionDenied:
      return "PermissionDenied";
    case ErrorCode::kNotFound:
      return "NotFound";
    case ErrorCode::kConflict:
      return "Conflict";
    case ErrorCode::kFailedPrecondition:
      return "FailedPrecondition";
    case ErrorCode::kPayloadTooLarge:
      return "PayloadTooLarge";
    case ErrorCode::kResourceExhausted:
      return "TooManyRequests";
    case ErrorCode::kOutOfRange:
      return "OutOfRange";
    case ErrorCode::kUnavailable:
      return "Unavailable";
    case ErrorCode::kInternal:
      return "Internal";
  }
  return "Internal";
}

namespace codes {

std::vector<std::string_view> AllErrorCodes() {
  std::vector<std::string_view> all;
  for (int k = 0; k <= static_cast<int>(ErrorCode::kInternal); ++k) {
    all.push_back(ErrorCodeName(static_cast<ErrorCode>(k)));
  }
  for (const DomainCode* d : kDomainCodes) all.push_back(d->name);
  for (std::string_view c : kHttpLayerCodes) all.push_back(c);
  return all;
}

}  // namespace codes

}  // namespace pc
