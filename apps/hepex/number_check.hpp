#pragma once
// Bounds of numeric options: one helper for every verb. The check reads the option's text before CLI11
// converts it, so "-1" given to an unsigned option gets the same plain message as any value out of range:
//   --batch: -1 is out of range: expected a whole number from 1 to 1048576
// (CLI11's own NonNegativeNumber / PositiveNumber print numeric_limits<double>::max() and say "0 to"
// while refusing 0.)
#include <CLI/CLI.hpp>

#include <cstdint>

namespace hepex::cli {

// Whole numbers in [min, max] (decimal digits, an optional leading '-').
CLI::Validator whole_in(std::int64_t min, std::uint64_t max);
// Finite real numbers in [min, max].
CLI::Validator real_in(double min, double max);
// Finite real numbers in (min, max]: "greater than min" (e.g. a learning rate above 0).
CLI::Validator real_above(double min, double max);

// Seeds take any 64-bit value.
inline CLI::Validator any_seed() { return whole_in(0, UINT64_MAX); }

}  // namespace hepex::cli

namespace hepex::cli {

// Bounds several verbs share.
inline constexpr std::uint64_t kMaxEpochs = 100000;
inline constexpr std::uint64_t kMaxMinibatch = 1u << 20;
inline constexpr double kMaxLearningRate = 10;
// Samples in one encrypted batch (hepex plan --batch, demo --count, encrypt/decrypt --count). Beyond this the
// ciphertexts alone outgrow any machine's memory at the ring degrees the planner picks.
inline constexpr std::uint64_t kMaxBatch = 1u << 16;
inline constexpr std::uint64_t kMaxThreads = 1024;

}  // namespace hepex::cli
