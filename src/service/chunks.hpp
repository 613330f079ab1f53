#pragma once
// Byte payloads cut into messages and put together again, with a hard limit on the total.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace hepex::service {

// Messages carry at most this many payload bytes (the client's and the server's default).
inline constexpr std::size_t kChunkBytes = std::size_t{1} << 20;
// The default limit of one received message on either side (a chunk plus its framing fits easily).
inline constexpr std::size_t kMaxMessageBytes = std::size_t{4} << 20;

// [begin, end) offsets of the chunks of an n-byte payload (at least one chunk, possibly empty).
std::vector<std::span<const std::uint8_t>> split_chunks(std::span<const std::uint8_t> bytes,
                                                        std::size_t chunk = kChunkBytes);

// Appends chunks up to `limit` bytes; a chunk that would pass it throws Busy naming `what` and the limit,
// before anything is appended.
class Assembler {
 public:
  Assembler(std::size_t limit, std::string what) : limit_(limit), what_(std::move(what)) {}
  void reserve(std::size_t n) { bytes_.reserve(n < limit_ ? n : limit_); }
  void add(const std::string& chunk);
  std::size_t size() const { return bytes_.size(); }
  std::vector<std::uint8_t>& bytes() { return bytes_; }

 private:
  std::size_t limit_;
  std::string what_;
  std::vector<std::uint8_t> bytes_;
};

}  // namespace hepex::service
