// Writing CSV (RFC 4180, CRLF) that is safe to open in a spreadsheet. Every CSV the service
// writes goes through CsvWriter.
//
// Cells are typed by the column, never guessed from their content:
//   - Text cells (names, ids, categories, currencies: anything that may come from a usage file
//     or a person) are neutralised against CSV injection as OWASP recommends: a cell starting
//     with '=', '+', '-', '@', TAB or CR would be read by a spreadsheet as a formula, so it is
//     prefixed with a single quote "'" (and, like every cell holding '"', ',', CR or LF, quoted
//     with inner quotes doubled). "-12.50" in a text column is therefore written "'-12.50": it
//     is text that came from outside, and a spreadsheet shows it as text.
//   - Number cells are the service's own exact decimals (Decimal::ToString: an optional '-',
//     digits, an optional '.' and digits; never an exponent) and are written as they are, so
//     "-12.50" stays a negative number for the reader of the file.
// Not thread-safe (one writer per file being built).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "core/decimal.h"

namespace pc::billing {

class CsvWriter {
 public:
  // A text cell, neutralised and quoted as needed.
  CsvWriter& Text(std::string_view value);
  // A number cell: the decimal exactly as Decimal::ToString writes it.
  CsvWriter& Number(const Decimal& value);
  // Ends the current row with CRLF.
  CsvWriter& EndRow();
  // Each name as a text cell, then EndRow.
  CsvWriter& Header(std::initializer_list<std::string_view> names);

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Separator();
  std::string out_;
  bool row_started_ = false;
};

// One text cell as CsvWriter writes it (exposed for tests and single cells).
std::string CsvTextCell(std::string_view value);

}  // namespace pc::billing
