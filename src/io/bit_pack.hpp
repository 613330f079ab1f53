#pragma once
// Fixed-width bit packing of 64-bit words: `count` words of `width` bits each (1..64), little-endian bit
// order, stored in packed_bytes(count, width) bytes. Files hold RNS residues this way: a residue modulo a
// 31-bit prime takes 31 bits, not 64 (a ciphertext file at half the bytes or less).
#include <cstddef>
#include <cstdint>
#include <span>

namespace hepex::io {

inline constexpr std::size_t packed_bytes(std::size_t count, unsigned width) { return (count * width + 7) / 8; }

// Bits needed for the largest word (at least 1, so that every packed word occupies some bytes).
unsigned bits_needed(std::span<const std::uint64_t> words);

// Writes words[i] mod 2^width to `out` (packed_bytes(words.size(), width) bytes; words must fit in width bits).
void pack_bits(std::span<const std::uint64_t> words, unsigned width, std::uint8_t* out);
// Reads words.size() words of `width` bits from `in` (packed_bytes(words.size(), width) bytes).
void unpack_bits(const std::uint8_t* in, unsigned width, std::span<std::uint64_t> words);

}  // namespace hepex::io
