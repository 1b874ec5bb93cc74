// Classification of a support request against the scope table: operators' rules (data, tried
// first) and a multinomial naive Bayes model over words and bigrams (exact integer counts;
// log-probabilities in double, which are not money). Every decision carries its reason.
// Thread-safety: a RuleSet and a trained NaiveBayes are immutable once built and may be shared.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "support/ticket_store.h"

namespace pc::support {

struct Rule {
  std::string id;
  std::string topic;
  std::vector<std::string> any;  // lower-case phrases, matched at word boundaries
};

struct RuleSet {
  std::vector<Rule> rules;
  int64_t min_confidence_permille = 450;  // "minConfidence": "0.45"
};

// The rules shipped in support/rules.json (compiled in).
std::string_view ShippedRulesJson();
// The automatic answers shipped in support/templates.json (compiled in).
std::string_view ShippedTemplatesJson();
// Parses and checks a rules document: every rule has an id, a known topic and phrases.
// Errors: InvalidArgument naming the rule and the field.
Result<RuleSet> ParseRules(const json::value& document);

// Lower-cased words of `text` (letters and digits; other bytes separate words; UTF-8 sequences
// are kept inside words), then bigrams "a b".
std::vector<std::string> Features(std::string_view text);

struct LabelledText {
  std::string text;
  std::string topic;
};

struct Prediction {
  std::string topic;
  int64_t confidence_permille = 0;     // posterior probability of the topic, 0..1000
  std::vector<std::string> top_words;  // the features that weighed most for it
};

class NaiveBayes {
 public:
  void Add(const LabelledText& example);
  // Null when nothing was trained.
  std::optional<Prediction> Predict(std::string_view text) const;
  int64_t documents() const { return documents_; }

 private:
  std::map<std::string, int64_t> docs_per_topic_;
  std::map<std::string, int64_t> features_per_topic_;
  std::map<std::string, std::map<std::string, int64_t>> counts_;  // feature -> topic -> count
  int64_t documents_ = 0;
};

// The labelled examples shipped in support/training.tsv (compiled in): "topic<TAB>text" lines.
std::vector<LabelledText> ShippedTrainingSet();

struct Decision {
  std::string scope;  // in | out (not-customer is decided by the caller from the sender)
  std::string topic;
  Classification classification;
};

// Rules first (the first rule with a matching phrase), then the model; a model decision below
// the rule set's minimum confidence (or no model) is `technical`, marked for review.
Decision Classify(const RuleSet& rules, const NaiveBayes* model, std::string_view subject,
                  std::string_view text);

// "0.930" from 930.
std::string PermilleText(int64_t permille);

}  // namespace pc::support
