// The classifier measured on the labelled corpus in tests/support_corpus: the model is trained on
// two thirds of the messages (by position) and both the model alone and the shipped rules plus
// the model are measured on the held-out third. Prints scope and topic accuracy; requires scope
// accuracy of at least 90% for what the desk actually uses (rules + model).
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "support/classifier.h"
#include "support/mime_parse.h"

namespace pc::support {
namespace {

struct Example {
  std::string file, scope, topic;
  ParsedMail mail;
};

std::vector<Example> LoadCorpus() {
  std::vector<Example> out;
  std::ifstream labels(std::string(PC_SUPPORT_CORPUS) + "/labels.tsv");
  for (std::string line; std::getline(labels, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ss(line);
    std::string file, sender, scope, topic, flags;
    std::getline(ss, file, '\t');
    std::getline(ss, sender, '\t');
    std::getline(ss, scope, '\t');
    std::getline(ss, topic, '\t');
    std::getline(ss, flags, '\t');
    // The text decides in or out; not-customer is the sender's, replies carry placeholders.
    if (scope != "in" && scope != "out") continue;
    if (flags.find("reply-to") != std::string::npos) continue;
    std::ifstream in(std::string(PC_SUPPORT_CORPUS) + "/" + file, std::ios::binary);
    std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto parsed = ParseMail(raw, 1 << 20);
    EXPECT_TRUE(parsed.ok()) << file;
    if (!parsed.ok()) continue;
    out.push_back({file, scope, topic, std::move(*parsed)});
  }
  return out;
}

TEST(SupportCorpusTest, HeldOutScopeAccuracyIsAtLeast90Percent) {
  auto corpus = LoadCorpus();
  ASSERT_GE(corpus.size(), 60u);
  NaiveBayes model;
  std::vector<const Example*> held_out;
  for (size_t i = 0; i < corpus.size(); ++i) {
    if (i % 3 == 2) {
      held_out.push_back(&corpus[i]);
    } else {
      model.Add({corpus[i].mail.subject + "\n" + corpus[i].mail.text, corpus[i].topic});
    }
  }
  auto rules = ParseRules(*ParseJson(ShippedRulesJson()));
  ASSERT_TRUE(rules.ok());
  RuleSet no_rules;
  no_rules.min_confidence_permille = 0;
  int scope_ok = 0, topic_ok = 0, model_scope_ok = 0, model_topic_ok = 0;
  for (const auto* e : held_out) {
    Decision d = Classify(*rules, &model, e->mail.subject, e->mail.text);
    scope_ok += d.scope == e->scope;
    topic_ok += d.topic == e->topic;
    Decision m = Classify(no_rules, &model, e->mail.subject, e->mail.text);
    model_scope_ok += m.scope == e->scope;
    model_topic_ok += m.topic == e->topic;
    if (d.topic != e->topic) {
      std::cout << "  " << e->file << ": expected " << e->scope << "/" << e->topic << ", got "
                << d.scope << "/" << d.topic << " (" << d.classification.reason << ")\n";
    }
  }
  auto pct = [&](int n) { return 100.0 * n / static_cast<double>(held_out.size()); };
  std::cout << "[ corpus   ] trained on " << model.documents() << ", held out " << held_out.size()
            << "\n"
            << "[ corpus   ] rules + model: scope " << pct(scope_ok) << "%, topic " << pct(topic_ok)
            << "%\n"
            << "[ corpus   ] model alone:   scope " << pct(model_scope_ok) << "%, topic "
            << pct(model_topic_ok) << "%\n";
  EXPECT_GE(scope_ok * 10, static_cast<int>(held_out.size()) * 9);
}

}  // namespace
}  // namespace pc::support
