#include "billing/csv_writer.h"

namespace pc::billing {

namespace {

// A spreadsheet reads a cell starting with one of these as a formula (OWASP, CSV injection).
bool StartsLikeFormula(std::string_view v) {
  if (v.empty()) return false;
  switch (v.front()) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string CsvTextCell(std::string_view value) {
  const bool neutralise = StartsLikeFormula(value);
  const bool quote = neutralise || value.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) return std::string(value);
  std::string out;
  out.reserve(value.size() + 4);
  out += '"';
  if (neutralise) out += '\'';
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

void CsvWriter::Separator() {
  if (row_started_) out_ += ',';
  row_started_ = true;
}

CsvWriter& CsvWriter::Text(std::string_view value) {
  Separator();
  out_ += CsvTextCell(value);
  return *this;
}

CsvWriter& CsvWriter::Number(const Decimal& value) {
  Separator();
  out_ += value.ToString();
  return *this;
}

CsvWriter& CsvWriter::EndRow() {
  out_ += "\r\n";
  row_started_ = false;
  return *this;
}

CsvWriter& CsvWriter::Header(std::initializer_list<std::string_view> names) {
  for (auto name : names) Text(name);
  return EndRow();
}

}  // namespace pc::billing
