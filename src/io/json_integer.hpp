#pragma once
// Integers read from JSON that someone else wrote (a plan from the server, a report). nlohmann's get<int>()
// casts whatever number it finds: 2e20 or -1.5 into an int is undefined behaviour, a negative integer into
// a size_t wraps. Every integer field of such a file goes through here: a JSON integer within T's range,
// or a FormatError naming the field.
#include <concepts>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace hepex::io {

template <std::integral T>
T json_integer(const nlohmann::json& v, const std::string& what) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u <= static_cast<std::uint64_t>(std::numeric_limits<T>::max())) return static_cast<T>(u);
  } else if (v.is_number_integer()) {
    const auto s = v.get<std::int64_t>();
    const bool fits = std::is_signed_v<T> ? s >= static_cast<std::int64_t>(std::numeric_limits<T>::min()) &&
                                                s <= static_cast<std::int64_t>(std::numeric_limits<T>::max())
                                          : s >= 0 && static_cast<std::uint64_t>(s) <=
                                                          static_cast<std::uint64_t>(std::numeric_limits<T>::max());
    if (fits) return static_cast<T>(s);
  } else {
    throw FormatError(what + " is " + v.type_name() + ", expected an integer");
  }
  throw FormatError(what + " is " + v.dump() + ", out of range");
}

// `key` of object `obj`, which must be present.
template <std::integral T>
T json_integer_at(const nlohmann::json& obj, const char* key, const std::string& what) {
  return json_integer<T>(obj.at(key), what + ": \"" + key + "\"");
}

// `key` of object `obj`, or `fallback` when absent (fields added after the format's first version).
template <std::integral T>
T json_integer_or(const nlohmann::json& obj, const char* key, T fallback, const std::string& what) {
  return obj.contains(key) ? json_integer_at<T>(obj, key, what) : fallback;
}

template <std::integral T>
std::vector<T> json_integers(const nlohmann::json& v, const std::string& what) {
  if (!v.is_array()) throw FormatError(what + " is " + v.type_name() + ", expected an array of integers");
  std::vector<T> out;
  out.reserve(v.size());
  for (const auto& e : v) out.push_back(json_integer<T>(e, what + "[" + std::to_string(out.size()) + "]"));
  return out;
}

template <std::integral T>
std::vector<T> json_integers_at(const nlohmann::json& obj, const char* key, const std::string& what) {
  return json_integers<T>(obj.at(key), what + ": \"" + key + "\"");
}

}  // namespace hepex::io
