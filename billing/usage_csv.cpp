#include "billing/usage_csv.h"

namespace pc::billing::internal {

bool NextCsvRecord(std::string_view text, size_t& pos, std::vector<std::string_view>& fields,
                   std::string& scratch, std::string& error, std::string& error_value) {
  fields.clear();
  error.clear();
  size_t n = text.size();
  auto skip_to_line_end = [&] {
    size_t nl = text.find('\n', pos);
    pos = nl == std::string_view::npos ? n : nl + 1;
  };
  while (true) {
    std::string_view field;
    if (pos < n && text[pos] == '"') {
      ++pos;
      size_t q = text.find('"', pos);
      if (q != std::string_view::npos && (q + 1 >= n || text[q + 1] != '"')) {
        field = text.substr(pos, q - pos);  // no doubled quotes: a view into the text
        pos = q + 1;
      } else {
        size_t begin = scratch.size();
        while (true) {
          if (q == std::string_view::npos) {
            error = "has an unterminated quoted field (the file may be truncated)";
            pos = n;
            return false;
          }
          scratch.append(text.substr(pos, q - pos));
          pos = q + 1;
          if (pos < n && text[pos] == '"') {
            scratch += '"';
            ++pos;
            q = text.find('"', pos);
            continue;
          }
          break;
        }
        field = std::string_view(scratch).substr(begin);
      }
      if (pos < n && text[pos] == '\r' && pos + 1 < n && text[pos + 1] == '\n') ++pos;
      if (pos < n && text[pos] != ',' && text[pos] != '\n') {
        error = "has text after a closing quote";
        error_value = std::string(field);
        skip_to_line_end();
        return false;
      }
    } else {
      size_t end = pos;
      while (end < n && text[end] != ',' && text[end] != '\n') ++end;
      std::string_view raw = text.substr(pos, end - pos);
      if ((end == n || text[end] == '\n') && !raw.empty() && raw.back() == '\r') {
        raw.remove_suffix(1);
      }
      if (raw.find('"') != std::string_view::npos) {
        error = "has a quote inside an unquoted field";
        error_value = std::string(raw);
        pos = end;
        skip_to_line_end();
        return false;
      }
      field = raw;
      pos = end;
    }
    fields.push_back(field);
    if (pos >= n) return true;
    if (text[pos] == ',') {
      ++pos;
      continue;
    }
    ++pos;  // '\n'
    return true;
  }
}

}  // namespace pc::billing::internal
