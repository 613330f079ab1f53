#pragma once
// The byte strings the front door hands over: each is exactly the bytes of the file of the same object
// (`hepex keygen`, `encrypt`, `infer` write them), integrity trailer included, so bytes written to disk are
// a valid file and a file read into memory is valid bytes.
#include <cstdint>
#include <vector>

namespace hepex {

using Bytes = std::vector<std::uint8_t>;

}  // namespace hepex
