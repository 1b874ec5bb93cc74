// Checks on text that people type and other people read: names, descriptions, aliases.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace pc {

// Number of Unicode code points in `text`, or npos if it is not valid UTF-8 (overlong forms,
// surrogates and code points above U+10FFFF are invalid).
size_t Utf8Length(std::string_view text);

// Checks a single-line text field named `field`: valid UTF-8, at most `max_chars` code points,
// no control characters (C0 including NUL, tab, CR and LF; DEL; C1) and no bidirectional
// formatting characters (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), which can make
// a name display as something it is not. Errors: InvalidArgument naming the field and what is
// wrong (the position of the offending character, counted from 1).
Status CheckLineText(std::string_view field, std::string_view text, size_t max_chars);

// The same for multi-line text (descriptions, messages): tab, LF and CR are allowed.
Status CheckMultilineText(std::string_view field, std::string_view text, size_t max_chars);

}  // namespace pc
