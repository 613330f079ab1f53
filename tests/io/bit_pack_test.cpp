#include "io/bit_pack.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "io/binary.hpp"

using namespace hepex::io;

namespace {
// Bit i of the packed stream, the naive way: word i / width, bit i % width.
std::vector<std::uint8_t> naive_pack(const std::vector<std::uint64_t>& words, unsigned width) {
  std::vector<std::uint8_t> out(packed_bytes(words.size(), width), 0);
  for (std::size_t k = 0; k < words.size() * width; ++k)
    if ((words[k / width] >> (k % width)) & 1) out[k / 8] |= std::uint8_t(1u << (k % 8));
  return out;
}

std::vector<std::uint64_t> random_words(std::size_t count, unsigned width, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> w(count);
  for (auto& x : w) x = width == 64 ? rng() : rng() & ((std::uint64_t{1} << width) - 1);
  return w;
}
}  // namespace

TEST(BitPack, EqualsTheNaiveBitStreamAndRoundTripsForEveryWidth) {
  for (unsigned width = 1; width <= 64; ++width)
    for (std::size_t count : {1u, 7u, 8u, 13u, 64u, 1000u}) {
      const auto words = random_words(count, width, width * 1000 + count);
      std::vector<std::uint8_t> packed(packed_bytes(count, width) + 3, 0xAB);  // guard bytes after the data
      pack_bits(words, width, packed.data());
      const auto expected = naive_pack(words, width);
      ASSERT_TRUE(std::equal(expected.begin(), expected.end(), packed.begin())) << "width " << width << " count " << count;
      for (std::size_t g = expected.size(); g < packed.size(); ++g) ASSERT_EQ(packed[g], 0xAB) << "wrote past the end";
      std::vector<std::uint64_t> back(count);
      unpack_bits(expected.data(), width, back);
      ASSERT_EQ(back, words) << "width " << width << " count " << count;
    }
}

TEST(BitPack, BitsNeededIsTheLargestWordsWidthAndAtLeastOne) {
  EXPECT_EQ(bits_needed(std::vector<std::uint64_t>{0, 0}), 1u);
  EXPECT_EQ(bits_needed(std::vector<std::uint64_t>{1, 2, 3}), 2u);
  EXPECT_EQ(bits_needed(std::vector<std::uint64_t>{(1ull << 30) + 5, 7}), 31u);
  EXPECT_EQ(bits_needed(std::vector<std::uint64_t>{~0ull}), 64u);
}

TEST(BitPack, ReaderRefusesBadWidthsAndTruncatedData) {
  const auto words = random_words(100, 31, 5);
  BinaryWriter w;
  w.write_packed(words, 31);
  ASSERT_EQ(w.bytes().size(), packed_bytes(100, 31));
  {
    BinaryReader r(w.bytes(), "x.bin");
    std::vector<std::uint64_t> back(100);
    r.read_packed(back, 31);
    EXPECT_EQ(back, words);
    EXPECT_NO_THROW(r.expect_end());
  }
  for (unsigned bad : {0u, 65u}) {
    BinaryReader r(w.bytes(), "x.bin");
    std::vector<std::uint64_t> back(100);
    EXPECT_THROW(r.read_packed(back, bad), hepex::FormatError);
  }
  auto cut = w.bytes();
  cut.pop_back();
  BinaryReader r(cut, "x.bin");
  std::vector<std::uint64_t> back(100);
  try {
    r.read_packed(back, 31);
    FAIL() << "a truncated packed run was read";
  } catch (const hepex::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("x.bin: truncated"), std::string::npos) << e.what();
  }
}
