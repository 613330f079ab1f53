#pragma once
// Facts about the machine the process runs on.
#include <cstddef>

namespace hepex {

// Physical memory in bytes (0 when the system does not say).
std::size_t physical_memory_bytes();

}  // namespace hepex
