// Standard base64 (RFC 4648, padded) for bytes kept in TEXT columns.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace pc::support {

std::string Base64Encode(std::string_view bytes);
// Errors: InvalidArgument for text that is not base64.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace pc::support
