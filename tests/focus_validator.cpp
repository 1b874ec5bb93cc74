#include "tests/focus_validator.h"

#include <regex>
#include <set>

#include "core/time.h"

namespace pc::test {

namespace {

namespace json = boost::json;

enum class Type { kString, kDecimal, kDateTime, kJson };

struct Rule {
  Type type;
  bool mandatory;
  bool nullable;
};

// FOCUS 1.2 columns (specification/columns/*.md at v1.2): type, whether the Feature level is
// Mandatory, and Allows nulls. Mandatory: the 21 below marked true.
const std::map<std::string, Rule, std::less<>>& Rules() {
  static const std::map<std::string, Rule, std::less<>> kRules = {
      {"AvailabilityZone", {Type::kString, false, true}},
      {"BilledCost", {Type::kDecimal, true, false}},
      {"BillingAccountId", {Type::kString, true, false}},
      {"BillingAccountName", {Type::kString, true, true}},
      {"BillingAccountType", {Type::kString, false, false}},
      {"BillingCurrency", {Type::kString, true, false}},
      {"BillingPeriodEnd", {Type::kDateTime, true, false}},
      {"BillingPeriodStart", {Type::kDateTime, true, false}},
      {"CapacityReservationId", {Type::kString, false, true}},
      {"CapacityReservationStatus", {Type::kString, false, true}},
      {"ChargeCategory", {Type::kString, true, false}},
      {"ChargeClass", {Type::kString, true, true}},
      {"ChargeDescription", {Type::kString, true, true}},
      {"ChargeFrequency", {Type::kString, false, false}},
      {"ChargePeriodEnd", {Type::kDateTime, true, false}},
      {"ChargePeriodStart", {Type::kDateTime, true, false}},
      {"CommitmentDiscountCategory", {Type::kString, false, true}},
      {"CommitmentDiscountId", {Type::kString, false, true}},
      {"CommitmentDiscountName", {Type::kString, false, true}},
      {"CommitmentDiscountQuantity", {Type::kDecimal, false, true}},
      {"CommitmentDiscountStatus", {Type::kString, false, true}},
      {"CommitmentDiscountType", {Type::kString, false, true}},
      {"CommitmentDiscountUnit", {Type::kString, false, true}},
      {"ConsumedQuantity", {Type::kDecimal, false, true}},
      {"ConsumedUnit", {Type::kString, false, true}},
      {"ContractedCost", {Type::kDecimal, true, false}},
      {"ContractedUnitPrice", {Type::kDecimal, false, true}},
      {"EffectiveCost", {Type::kDecimal, true, false}},
      {"InvoiceId", {Type::kString, false, true}},
      {"InvoiceIssuerName", {Type::kString, true, false}},
      {"ListCost", {Type::kDecimal, true, false}},
      {"ListUnitPrice", {Type::kDecimal, false, true}},
      {"PricingCategory", {Type::kString, false, true}},
      {"PricingCurrency", {Type::kString, false, true}},
      {"PricingCurrencyContractedUnitPrice", {Type::kDecimal, false, true}},
      {"PricingCurrencyEffectiveCost", {Type::kDecimal, false, true}},
      {"PricingCurrencyListUnitPrice", {Type::kDecimal, false, true}},
      {"PricingQuantity", {Type::kDecimal, true, true}},
      {"PricingUnit", {Type::kString, true, true}},
      {"ProviderName", {Type::kString, true, false}},
      {"PublisherName", {Type::kString, true, false}},
      {"RegionId", {Type::kString, false, true}},
      {"RegionName", {Type::kString, false, true}},
      {"ResourceId", {Type::kString, false, true}},
      {"ResourceName", {Type::kString, false, true}},
      {"ResourceType", {Type::kString, false, true}},
      {"ServiceCategory", {Type::kString, true, false}},
      {"ServiceName", {Type::kString, true, false}},
      {"ServiceSubcategory", {Type::kString, false, false}},
      {"SkuId", {Type::kString, false, true}},
      {"SkuMeter", {Type::kString, false, true}},
      {"SkuPriceDetails", {Type::kJson, false, true}},
      {"SkuPriceId", {Type::kString, false, true}},
      {"SubAccountId", {Type::kString, false, true}},
      {"SubAccountName", {Type::kString, false, true}},
      {"SubAccountType", {Type::kString, false, true}},
      {"Tags", {Type::kJson, false, true}},
  };
  return kRules;
}

// Allowed values (chargecategory.md, chargefrequency.md, servicecategory.md at v1.2).
const std::set<std::string, std::less<>> kChargeCategories = {"Usage", "Purchase", "Tax", "Credit",
                                                              "Adjustment"};
const std::set<std::string, std::less<>> kChargeFrequencies = {"One-Time", "Recurring",
                                                               "Usage-Based"};
const std::set<std::string, std::less<>> kServiceCategories = {"AI and Machine Learning",
                                                               "Analytics",
                                                               "Business Applications",
                                                               "Compute",
                                                               "Databases",
                                                               "Developer Tools",
                                                               "Multicloud",
                                                               "Identity",
                                                               "Integration",
                                                               "Internet of Things",
                                                               "Management and Governance",
                                                               "Media",
                                                               "Migration",
                                                               "Mobile",
                                                               "Networking",
                                                               "Security",
                                                               "Storage",
                                                               "Web",
                                                               "Other"};

// numeric_format.md: an optional '-', digits, an optional fraction, an optional exponent.
const std::regex kDecimal(R"(-?[0-9]+(\.[0-9]+)?([eE]-?[0-9]+)?)");
// datetime_format.md: UTC, ISO 8601, "YYYY-MM-DDTHH:mm:ssZ".
const std::regex kDateTime(R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)");
// currency_code_format.md: ISO 4217 alphabetic code.
const std::regex kCurrency(R"([A-Z]{3})");

Type TypeFromMetadata(std::string_view name) {
  if (name == "DECIMAL") return Type::kDecimal;
  if (name == "DATETIME") return Type::kDateTime;
  if (name == "JSON") return Type::kJson;
  return Type::kString;
}

}  // namespace

int CsvTable::Index(std::string_view name) const {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return static_cast<int>(i);
  }
  return -1;
}

std::vector<std::string> CsvTable::Column(std::string_view name) const {
  std::vector<std::string> out;
  int i = Index(name);
  if (i < 0) return out;
  for (const auto& r : rows) out.push_back(r[static_cast<size_t>(i)]);
  return out;
}

CsvTable ParseRfc4180(std::string_view text, std::vector<std::string>& problems) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  size_t i = 0, line = 1;
  bool at_field_start = true;
  while (i < text.size()) {
    char c = text[i];
    if (at_field_start && c == '"') {  // a quoted field
      ++i;
      for (;;) {
        if (i >= text.size()) {
          problems.push_back("line " + std::to_string(line) + ": unterminated quoted field");
          break;
        }
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (text[i] == '\n') ++line;
        field += text[i++];
      }
      at_field_start = false;
      if (i < text.size() && text[i] != ',' && text[i] != '\r') {
        problems.push_back("line " + std::to_string(line) + ": text after a closing quote");
      }
      continue;
    }
    if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
      at_field_start = true;
      ++i;
      continue;
    }
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      record.push_back(std::move(field));
      field.clear();
      records.push_back(std::move(record));
      record.clear();
      at_field_start = true;
      i += 2;
      ++line;
      continue;
    }
    if (c == '\n' || c == '\r') {
      problems.push_back("line " + std::to_string(line) + ": a line break that is not CRLF");
    } else if (c == '"') {
      problems.push_back("line " + std::to_string(line) + ": a quote inside an unquoted field");
    }
    field += c;
    at_field_start = false;
    ++i;
  }
  if (!record.empty() || !field.empty()) {
    problems.push_back("the last record does not end with CRLF");
    record.push_back(std::move(field));
    records.push_back(std::move(record));
  }
  CsvTable table;
  if (records.empty()) {
    problems.push_back("no header row");
    return table;
  }
  table.header = std::move(records.front());
  for (size_t r = 1; r < records.size(); ++r) {
    if (records[r].size() != table.header.size()) {
      problems.push_back("record " + std::to_string(r) + " has " +
                         std::to_string(records[r].size()) + " fields, the header " +
                         std::to_string(table.header.size()));
      continue;
    }
    table.rows.push_back(std::move(records[r]));
  }
  return table;
}

std::vector<std::string> ValidateFocus(std::string_view csv, const json::value& metadata) {
  std::vector<std::string> problems;
  CsvTable t = ParseRfc4180(csv, problems);

  // The metadata (specification/metadata/): DataGenerator, Schema with SchemaId, FocusVersion,
  // CreationDate and a ColumnDefinition per column, in the file's order.
  std::map<std::string, Type, std::less<>> declared;
  const json::object* meta = metadata.if_object();
  const json::object* schema = nullptr;
  if (!meta) {
    problems.push_back("metadata: not a JSON object");
  } else {
    const json::value* generator = meta->if_contains("DataGenerator");
    if (!generator || !generator->is_string() || generator->as_string().empty()) {
      problems.push_back("metadata: DataGenerator missing or empty");
    }
    const json::value* s = meta->if_contains("Schema");
    schema = s ? s->if_object() : nullptr;
    if (!schema) problems.push_back("metadata: Schema missing");
  }
  if (schema) {
    for (const char* key : {"SchemaId", "FocusVersion", "CreationDate"}) {
      const json::value* v = schema->if_contains(key);
      if (!v || !v->is_string() || v->as_string().empty()) {
        problems.push_back(std::string("metadata: Schema.") + key + " missing or empty");
      }
    }
    if (const json::value* v = schema->if_contains("FocusVersion");
        v && v->is_string() && v->as_string() != "1.2") {
      problems.push_back("metadata: FocusVersion is not 1.2");
    }
    if (const json::value* v = schema->if_contains("CreationDate");
        v && v->is_string() && !ParseTimestamp(v->as_string()).ok()) {
      problems.push_back("metadata: CreationDate is not a date-time");
    }
    const json::value* defs = schema->if_contains("ColumnDefinition");
    if (!defs || !defs->is_array()) {
      problems.push_back("metadata: Schema.ColumnDefinition missing");
    } else {
      std::vector<std::string> names;
      for (const auto& d : defs->as_array()) {
        const json::object* o = d.if_object();
        const json::value* name = o ? o->if_contains("ColumnName") : nullptr;
        const json::value* type = o ? o->if_contains("DataType") : nullptr;
        if (!name || !name->is_string() || !type || !type->is_string()) {
          problems.push_back("metadata: a ColumnDefinition without ColumnName and DataType");
          continue;
        }
        names.emplace_back(name->as_string());
        std::string type_name(type->as_string());
        static const std::set<std::string> kTypes = {"STRING", "DECIMAL", "DATETIME", "JSON"};
        if (!kTypes.count(type_name)) {
          problems.push_back("metadata: " + names.back() + " has DataType " + type_name);
        }
        declared[names.back()] = TypeFromMetadata(type_name);
        auto rule = Rules().find(names.back());
        if (rule != Rules().end() && rule->second.type != declared[names.back()]) {
          problems.push_back("metadata: " + names.back() + " declared " + type_name +
                             ", which is not its FOCUS type");
        }
      }
      if (names != t.header) {
        problems.push_back("metadata: ColumnDefinition does not name the CSV's columns in order");
      }
    }
  }

  // Columns: the Mandatory ones present, no duplicates, custom ones prefixed x_
  // (column_naming_and_ordering.md).
  std::set<std::string, std::less<>> seen;
  for (const auto& name : t.header) {
    if (!seen.insert(name).second) problems.push_back("column " + name + " appears twice");
    if (!Rules().count(name) && !name.starts_with("x_")) {
      problems.push_back("column " + name + " is neither a FOCUS 1.2 column nor prefixed x_");
    }
  }
  for (const auto& [name, rule] : Rules()) {
    if (rule.mandatory && !seen.count(name)) {
      problems.push_back("Mandatory column " + name + " is missing");
    }
  }

  auto cell = [&](const std::vector<std::string>& row, std::string_view name) -> std::string {
    int i = t.Index(name);
    return i < 0 ? std::string() : row[static_cast<size_t>(i)];
  };
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    const std::string at = "row " + std::to_string(r + 1) + ", ";
    for (size_t c = 0; c < t.header.size(); ++c) {
      const std::string& name = t.header[c];
      const std::string& v = row[c];
      auto rule = Rules().find(name);
      Type type = rule != Rules().end()  ? rule->second.type
                  : declared.count(name) ? declared[name]
                                         : Type::kString;
      // null_handling.md: null is null (an empty cell), never a placeholder string.
      if (v == "NULL" || v == "null" || v == "N/A") {
        problems.push_back(at + name + ": '" + v + "' instead of an empty (null) cell");
      }
      if (v.empty()) {
        if (rule != Rules().end() && !rule->second.nullable) {
          problems.push_back(at + name + " is null but may not be");
        }
        continue;
      }
      if (type == Type::kDecimal && !std::regex_match(v, kDecimal)) {
        problems.push_back(at + name + ": '" + v + "' is not a FOCUS decimal");
      }
      if (type == Type::kDateTime && (!std::regex_match(v, kDateTime) || !ParseTimestamp(v).ok())) {
        problems.push_back(at + name + ": '" + v + "' is not a UTC YYYY-MM-DDTHH:mm:ssZ time");
      }
      if (type == Type::kJson && !json::parse(v).is_object()) {
        problems.push_back(at + name + ": '" + v + "' is not a JSON object");
      }
    }
    // Allowed values and conditional null rules.
    const std::string category = cell(row, "ChargeCategory");
    const std::string charge_class = cell(row, "ChargeClass");
    if (!kChargeCategories.count(category)) {
      problems.push_back(at + "ChargeCategory '" + category + "' is not an allowed value");
    }
    if (!charge_class.empty() && charge_class != "Correction") {
      problems.push_back(at + "ChargeClass '" + charge_class + "' is neither null nor Correction");
    }
    if (t.Index("ChargeFrequency") >= 0 &&
        !kChargeFrequencies.count(cell(row, "ChargeFrequency"))) {
      problems.push_back(at + "ChargeFrequency '" + cell(row, "ChargeFrequency") +
                         "' is not an allowed value");
    }
    if (!kServiceCategories.count(cell(row, "ServiceCategory"))) {
      problems.push_back(at + "ServiceCategory '" + cell(row, "ServiceCategory") +
                         "' is not an allowed value");
    }
    if (!std::regex_match(cell(row, "BillingCurrency"), kCurrency)) {
      problems.push_back(at + "BillingCurrency '" + cell(row, "BillingCurrency") +
                         "' is not an ISO 4217 code");
    }
    if ((category == "Usage" || category == "Purchase") && charge_class != "Correction") {
      for (const char* name : {"PricingQuantity", "PricingUnit"}) {
        if (cell(row, name).empty()) {
          problems.push_back(at + name + " is null on a " + category + " row");
        }
      }
    }
    if (category == "Tax" &&
        (!cell(row, "PricingQuantity").empty() || !cell(row, "PricingUnit").empty())) {
      problems.push_back(at + "PricingQuantity / PricingUnit not null on a Tax row");
    }
    // Periods: start inclusive, end exclusive; the charge period inside the billing period.
    auto bs = ParseTimestamp(cell(row, "BillingPeriodStart"));
    auto be = ParseTimestamp(cell(row, "BillingPeriodEnd"));
    auto cs = ParseTimestamp(cell(row, "ChargePeriodStart"));
    auto ce = ParseTimestamp(cell(row, "ChargePeriodEnd"));
    if (bs.ok() && be.ok() && cs.ok() && ce.ok()) {
      if (!(*bs < *be)) problems.push_back(at + "BillingPeriodStart is not before its end");
      if (!(*cs < *ce)) problems.push_back(at + "ChargePeriodStart is not before its end");
      if (*cs < *bs || *ce > *be) {
        problems.push_back(at + "the charge period is outside the billing period");
      }
    }
  }
  return problems;
}

}  // namespace pc::test
