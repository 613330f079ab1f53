#pragma once
// What every fuzz target shares: the CKKS context the seed corpus was made for, and the rule that a loader
// may refuse input only with a hepex::Error (anything else escaping is a finding: libFuzzer reports it).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ckks/context.hpp"
#include "util/error.hpp"

namespace hepex::fuzz {

// A 2^6 ring (insecure, fuzzing only) with two data primes and one special prime: small files, fast parsing.
// Files of other parameters are refused by their parameter hash, so the corpus must be made for this one.
const std::shared_ptr<const ckks::CkksContext>& context();

inline std::vector<std::uint8_t> bytes_of(const std::uint8_t* data, std::size_t size) {
  return std::vector<std::uint8_t>(data, data + size);
}

// Writes the input to an anonymous in-memory file and returns a path that opens it (/proc/self/fd/N),
// for loaders that only take a path. Closed by the destructor.
class MemoryFile {
 public:
  MemoryFile(const std::uint8_t* data, std::size_t size);
  ~MemoryFile();
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

// Runs `parse`; a hepex::Error is the loader refusing bad input, which is fine.
template <class Fn>
void expect_only_hepex_errors(Fn&& parse) {
  try {
    parse();
  } catch (const hepex::Error&) {
  }
}

}  // namespace hepex::fuzz
