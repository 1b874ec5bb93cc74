// A FOCUS 1.2 validator written for the tests, independent of billing/focus_export.cpp (its own
// copy of the specification's rules, from FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec v1.2:
// specification/columns/*.md "Content Constraints" and requirement lists, and
// specification/attributes/*.md for the formats). It checks what a FOCUS tool loading the file
// relies on:
//   - the CSV is RFC 4180 (CRLF records, quoted fields, every record as wide as the header);
//   - every Mandatory FOCUS 1.2 column is present, no column twice, and every column that is
//     not a FOCUS column is prefixed "x_";
//   - each cell has its column's type: Decimal (numeric format: optional '-', digits, optional
//     fraction and exponent; no '+', separators or symbols), Date/Time (UTC
//     "YYYY-MM-DDTHH:mm:ssZ", a real instant), String; x_ columns have the type the metadata
//     declares;
//   - nulls are empty cells, never "NULL" / "N/A", and only in columns that allow them, with the
//     conditional rules (PricingQuantity / PricingUnit not null on Usage rows that are not
//     corrections; ChargeClass null or "Correction");
//   - allowed values (ChargeCategory, ChargeFrequency, ServiceCategory), ISO 4217 currency
//     codes, periods with start < end and the charge period inside the billing period;
//   - the metadata document: DataGenerator, Schema.SchemaId / FocusVersion "1.2" /
//     CreationDate / ColumnDefinition naming exactly the CSV's columns, in order, with their
//     DataType.
// For tests only.
#pragma once

#include <boost/json.hpp>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace pc::test {

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  // The cells of column `name` (empty when there is no such column).
  std::vector<std::string> Column(std::string_view name) const;
  // The column's index, or -1.
  int Index(std::string_view name) const;
};

// Parses RFC 4180 CSV (CRLF line ends; quoted fields with doubled quotes). Problems (a bare LF,
// a stray quote, a record of another width) are appended to `problems`.
CsvTable ParseRfc4180(std::string_view text, std::vector<std::string>& problems);

// Every rule above that `csv` with its `metadata` breaks, each as one readable line ("row 3,
// BilledCost: '1,00' is not a FOCUS decimal"); empty when the dataset conforms.
std::vector<std::string> ValidateFocus(std::string_view csv, const boost::json::value& metadata);

}  // namespace pc::test
