#pragma once
// Text helpers shared by the study's file writers (internal to src/study).
#include <cctype>
#include <cstdio>
#include <string>

namespace hepex::study {

// `text` with every character that is not a letter or digit replaced by '_': safe in file names.
inline std::string slug(std::string text) {
  for (char& c : text)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return text;
}

// printf formatting of one number ("%.4e", ...).
inline std::string format_number(double v, const char* format = "%.6g") {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

}  // namespace hepex::study
