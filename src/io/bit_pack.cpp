#include "io/bit_pack.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace hepex::io {

unsigned bits_needed(std::span<const std::uint64_t> words) {
  std::uint64_t all = 0;
  for (std::uint64_t w : words) all |= w;  // the OR has the top bit of the largest word
  return std::max(1u, static_cast<unsigned>(std::bit_width(all)));
}

// A 128-bit bit buffer: words go in at the top, whole bytes come out at the bottom.
void pack_bits(std::span<const std::uint64_t> words, unsigned width, std::uint8_t* out) {
  const std::uint64_t mask = width == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << width) - 1;
  unsigned __int128 buffer = 0;
  unsigned held = 0;  // bits in buffer
  for (std::uint64_t w : words) {
    buffer |= static_cast<unsigned __int128>(w & mask) << held;
    held += width;
    while (held >= 64) {
      const std::uint64_t low = static_cast<std::uint64_t>(buffer);
      std::memcpy(out, &low, 8);  // little-endian hosts only (as every hepex file)
      out += 8;
      buffer >>= 64;
      held -= 64;
    }
  }
  for (; held > 0; held = held > 8 ? held - 8 : 0) {
    *out++ = static_cast<std::uint8_t>(buffer);
    buffer >>= 8;
  }
}

void unpack_bits(const std::uint8_t* in, unsigned width, std::span<std::uint64_t> words) {
  const std::uint64_t mask = width == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << width) - 1;
  const std::size_t total = packed_bytes(words.size(), width);
  std::size_t pos = 0;  // bytes of `in` consumed
  unsigned __int128 buffer = 0;
  unsigned held = 0;
  for (std::uint64_t& w : words) {
    if (held < width) {
      // Refill with up to 8 bytes; never read past the packed data.
      const std::size_t take = std::min<std::size_t>(8, total - pos);
      std::uint64_t chunk = 0;
      std::memcpy(&chunk, in + pos, take);
      pos += take;
      buffer |= static_cast<unsigned __int128>(chunk) << held;
      held += static_cast<unsigned>(8 * take);
    }
    w = static_cast<std::uint64_t>(buffer) & mask;
    buffer >>= width;
    held -= width;
  }
}

}  // namespace hepex::io
