#include "number_check.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace hepex::cli {
namespace {

std::string real_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

template <class T>
bool parse_whole(const std::string& s, T& v) {
  const char* end = s.data() + s.size();
  const auto [p, ec] = std::from_chars(s.data(), end, v);
  return ec == std::errc() && p == end;
}

// "-1 is out of range: expected ..." or "'abc' is not a whole number: expected ...".
std::string refuse(const std::string& text, bool parsed, const char* noun, const std::string& expected) {
  return (parsed ? text + " is out of range" : "'" + text + "' is not " + noun) + ": expected " + expected;
}

}  // namespace

CLI::Validator whole_in(std::int64_t min, std::uint64_t max) {
  const std::string expected = "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  CLI::Validator v(
      [=](std::string& text) -> std::string {
        if (!text.empty() && text[0] == '-') {
          std::int64_t x = 0;
          const bool ok = parse_whole(text, x);
          return ok && x >= min && (x < 0 || std::uint64_t(x) <= max) ? std::string() : refuse(text, ok, "a whole number", expected);
        }
        std::uint64_t x = 0;
        const bool ok = parse_whole(text, x);
        return ok && x <= max && (min <= 0 || x >= std::uint64_t(min)) ? std::string() : refuse(text, ok, "a whole number", expected);
      },
      "in " + std::to_string(min) + ".." + std::to_string(max));
  return v;
}

namespace {
CLI::Validator real_check(double min, double max, bool min_open) {
  const std::string expected = std::string("a number ") + (min_open ? "greater than " : "from ") + real_text(min) +
                               (min_open ? " and at most " : " to ") + real_text(max);
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        char* end = nullptr;
        const double x = std::strtod(text.c_str(), &end);
        const bool ok = !text.empty() && end == text.c_str() + text.size() && std::isfinite(x);
        const bool inside = ok && (min_open ? x > min : x >= min) && x <= max;
        return inside ? std::string() : refuse(text, ok, "a number", expected);
      },
      std::string("in ") + (min_open ? "(" : "[") + real_text(min) + ", " + real_text(max) + "]");
}
}  // namespace

CLI::Validator real_in(double min, double max) { return real_check(min, max, false); }
CLI::Validator real_above(double min, double max) { return real_check(min, max, true); }

}  // namespace hepex::cli
