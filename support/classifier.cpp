#include "support/classifier.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/decimal.h"
#include "support/topics.h"

namespace pc::support {

std::string_view SupportRulesText();      // support/rules.json, embedded at build time
std::string_view SupportTemplatesText();  // support/templates.json
std::string_view SupportTrainingText();   // support/training.tsv

std::string_view ShippedRulesJson() { return SupportRulesText(); }
std::string_view ShippedTemplatesJson() { return SupportTemplatesText(); }

namespace {

bool IsWordByte(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// `phrase` occurs in `text` (both lower-case) with no word character right before or after.
bool ContainsPhrase(const std::string& text, const std::string& phrase) {
  if (phrase.empty()) return false;
  for (size_t pos = text.find(phrase); pos != std::string::npos;
       pos = text.find(phrase, pos + 1)) {
    bool start_ok =
        pos == 0 || !IsWordByte(static_cast<unsigned char>(text[pos - 1])) ||
        !IsWordByte(static_cast<unsigned char>(phrase.front()));
    size_t end = pos + phrase.size();
    bool end_ok = end == text.size() || !IsWordByte(static_cast<unsigned char>(text[end])) ||
                  !IsWordByte(static_cast<unsigned char>(phrase.back()));
    if (start_ok && end_ok) return true;
  }
  return false;
}

// Words that carry no topic.
const std::set<std::string>& StopWords() {
  static const std::set<std::string> words = {
      "a",    "an",   "the",  "and",   "or",    "to",   "of",   "in",    "on",    "for",
      "is",   "are",  "was",  "be",    "we",    "our",  "us",   "you",   "your",  "i",
      "me",   "my",   "it",   "this",  "that",  "with", "can", "could", "would", "please",
      "hi",   "hello", "dear", "thanks", "thank", "regards", "at", "as", "from", "by",
      "have", "has",  "do",   "does",  "re",    "fw",   "fwd", "team", "support", "best"};
  return words;
}

}  // namespace

std::string PermilleText(int64_t permille) {
  permille = std::clamp<int64_t>(permille, 0, 1000);
  auto d = Decimal::FromParts(permille, 3);
  return d.ok() ? d->ToString() : "0";
}

Result<RuleSet> ParseRules(const json::value& document) {
  if (!document.is_object()) return InvalidArgument("The rules must be a JSON object");
  const auto& o = document.as_object();
  RuleSet set;
  if (auto it = o.find("minConfidence"); it != o.end()) {
    if (!it->value().is_string()) {
      return InvalidArgument("Field 'minConfidence' must be a decimal string such as \"0.45\"");
    }
    auto d = Decimal::Parse(it->value().as_string());
    int64_t permille = -1;
    if (d.ok() && *d >= Decimal() && *d <= Decimal::FromInt(1)) {
      // 0..1 with at most three decimals counted: "0.45" -> 450.
      std::string digits = d->Floor(3).Rescale(3).ok() ? d->Floor(3).Rescale(3)->ToString() : "";
      digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
      permille = digits.empty() ? -1 : std::stoll(digits);
    }
    if (permille < 0 || permille > 1000) {
      return InvalidArgument("Field 'minConfidence' must be a decimal between 0 and 1, e.g. \"0.45\"");
    }
    set.min_confidence_permille = permille;
  }
  auto rules = o.find("rules");
  if (rules == o.end() || !rules->value().is_array()) {
    return InvalidArgument("Field 'rules' is required: an array of {id, topic, any}");
  }
  std::set<std::string> ids;
  int index = 0;
  for (const auto& v : rules->value().as_array()) {
    ++index;
    std::string where = "rules[" + std::to_string(index - 1) + "]";
    if (!v.is_object()) return InvalidArgument(where + " must be an object");
    const auto& r = v.as_object();
    Rule rule;
    auto id = RequiredString(r, "id");
    if (!id.ok()) return InvalidArgument(where + ": " + id.error().message);
    rule.id = *id;
    if (rule.id.empty() || !ids.insert(rule.id).second) {
      return InvalidArgument(where + ": 'id' must be non-empty and unique");
    }
    auto topic = RequiredString(r, "topic");
    if (!topic.ok()) return InvalidArgument(where + ": " + topic.error().message);
    if (FindTopic(*topic) == nullptr) {
      return InvalidArgument(where + " (" + rule.id + "): unknown topic '" + *topic +
                             "'; see GET /api/v1/support/topics");
    }
    rule.topic = *topic;
    auto any = r.find("any");
    if (any == r.end() || !any->value().is_array() || any->value().as_array().empty()) {
      return InvalidArgument(where + " (" + rule.id + "): 'any' must be a non-empty array of phrases");
    }
    for (const auto& p : any->value().as_array()) {
      if (!p.is_string() || p.as_string().empty()) {
        return InvalidArgument(where + " (" + rule.id + "): every phrase must be a non-empty string");
      }
      rule.any.push_back(LowerAscii(std::string_view(p.as_string())));
    }
    set.rules.push_back(std::move(rule));
  }
  return set;
}

std::vector<std::string> Features(std::string_view text) {
  std::vector<std::string> words;
  std::string current;
  auto flush = [&] {
    if (!current.empty() && current.size() <= 40 && !StopWords().count(current)) {
      words.push_back(current);
    }
    current.clear();
  };
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (IsWordByte(c)) {
      current.push_back(static_cast<char>(std::tolower(c)));
    } else {
      flush();
    }
  }
  flush();
  std::vector<std::string> out = words;
  for (size_t i = 1; i < words.size(); ++i) out.push_back(words[i - 1] + " " + words[i]);
  return out;
}

void NaiveBayes::Add(const LabelledText& example) {
  ++documents_;
  ++docs_per_topic_[example.topic];
  for (const auto& f : Features(example.text)) {
    ++counts_[f][example.topic];
    ++features_per_topic_[example.topic];
  }
}

std::optional<Prediction> NaiveBayes::Predict(std::string_view text) const {
  if (documents_ == 0) return std::nullopt;
  std::vector<std::string> features;
  for (auto& f : Features(text)) {
    if (counts_.count(f)) features.push_back(std::move(f));  // unseen features carry nothing
  }
  double vocabulary = static_cast<double>(counts_.size());
  std::map<std::string, double> score;
  for (const auto& [topic, docs] : docs_per_topic_) {
    double s = std::log(static_cast<double>(docs) / static_cast<double>(documents_));
    double denominator = static_cast<double>(features_per_topic_.count(topic)
                                                 ? features_per_topic_.at(topic)
                                                 : 0) +
                         vocabulary;
    for (const auto& f : features) {
      const auto& per = counts_.at(f);
      auto it = per.find(topic);
      double n = it == per.end() ? 0.0 : static_cast<double>(it->second);
      s += std::log((n + 1.0) / denominator);
    }
    score[topic] = s;
  }
  auto best = std::max_element(score.begin(), score.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
  double total = 0;
  for (const auto& [topic, s] : score) total += std::exp(s - best->second);
  Prediction p;
  p.topic = best->first;
  p.confidence_permille = static_cast<int64_t>(std::floor(1000.0 / total));
  // The features that favour the topic most against the others (log-ratio of their estimates).
  std::vector<std::pair<double, std::string>> weights;
  std::set<std::string> seen;
  for (const auto& f : features) {
    if (!seen.insert(f).second) continue;
    const auto& per = counts_.at(f);
    auto it = per.find(p.topic);
    if (it == per.end()) continue;
    int64_t others = 0;
    for (const auto& [t, n] : per) {
      if (t != p.topic) others += n;
    }
    double mine = static_cast<double>(it->second) + 1.0;
    weights.push_back({std::log(mine / (static_cast<double>(others) + 1.0)), f});
  }
  std::sort(weights.begin(), weights.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  for (size_t i = 0; i < weights.size() && i < 5; ++i) p.top_words.push_back(weights[i].second);
  return p;
}

std::vector<LabelledText> ShippedTrainingSet() {
  std::vector<LabelledText> out;
  std::string_view text = SupportTrainingText();
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (line.empty() || line.front() == '#') continue;
    size_t tab = line.find('\t');
    if (tab == std::string_view::npos) continue;
    out.push_back({std::string(line.substr(tab + 1)), std::string(line.substr(0, tab))});
  }
  return out;
}

Decision Classify(const RuleSet& rules, const NaiveBayes* model, std::string_view subject,
                  std::string_view text) {
  std::string all = LowerAscii(std::string(subject) + "\n" + std::string(text));
  for (const auto& rule : rules.rules) {
    for (const auto& phrase : rule.any) {
      if (ContainsPhrase(all, phrase)) {
        const Topic* topic = FindTopic(rule.topic);
        Decision d;
        d.topic = rule.topic;
        d.scope = topic != nullptr ? topic->scope : "in";
        d.classification.by = "rule";
        d.classification.reason = "rule " + rule.id + ": \"" + phrase + "\"";
        d.classification.confidence = std::nullopt;
        return d;
      }
    }
  }
  Decision d;
  d.classification.by = "model";
  std::optional<Prediction> p =
      model != nullptr ? model->Predict(std::string(subject) + "\n" + std::string(text))
                       : std::nullopt;
  if (!p) {
    d.topic = std::string(kFallbackTopic);
    d.scope = "in";
    d.classification.reason = "no rule matched and no model is trained";
    d.classification.needs_review = true;
    return d;
  }
  std::string words;
  for (const auto& w : p->top_words) words += (words.empty() ? "" : ", ") + w;
  d.classification.confidence = PermilleText(p->confidence_permille);
  if (p->confidence_permille < rules.min_confidence_permille) {
    d.topic = std::string(kFallbackTopic);
    d.scope = "in";
    d.classification.needs_review = true;
    d.classification.reason = "model unsure (best: " + p->topic + " at " +
                              PermilleText(p->confidence_permille) + "; words: " + words + ")";
    return d;
  }
  const Topic* topic = FindTopic(p->topic);
  d.topic = p->topic;
  d.scope = topic != nullptr ? topic->scope : "in";
  d.classification.reason = "model: " + p->topic + " (words: " + words + ")";
  return d;
}

}  // namespace pc::support
