// The support topics: the seed's platform-level scope table (seed-system.md §5.1) as stable ids,
// in the seed's order, then the out-of-scope kinds.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pc::support {

struct Topic {
  std::string id;
  std::string title;
  std::string scope;  // in | out
  std::string tier;   // tier1 | microsoft | platform
};

const std::vector<Topic>& Topics();
// Null for an unknown id.
const Topic* FindTopic(std::string_view id);
// The topic of a ticket whose sender is not a customer: the model's topic is kept, this is the
// default when none is known.
inline constexpr std::string_view kFallbackTopic = "technical";

}  // namespace pc::support
