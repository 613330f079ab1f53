#pragma once
// The one version line of `hepex --version` and `hepex version` (HEPEX_VERSION: CMake's project version).
#ifndef HEPEX_VERSION
#define HEPEX_VERSION "unknown"
#endif

namespace hepex::cli {
inline constexpr const char* kVersionLine = "hepex " HEPEX_VERSION " (C++20, x86-64-v3/AVX2)";
}  // namespace hepex::cli
