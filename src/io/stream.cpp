#include "io/stream.hpp"

#include <algorithm>

#include "io/binary.hpp"
#include "util/error.hpp"

namespace hepex::io {

namespace {
// Reads up to `n` more bytes of `in` onto the end of `out`; returns how many arrived.
std::size_t append_from(std::istream& in, std::vector<std::uint8_t>& out, std::size_t n, const std::string& name) {
  const std::size_t before = out.size();
  out.resize(before + n);
  in.read(reinterpret_cast<char*>(out.data() + before), std::streamsize(n));
  const auto got = static_cast<std::size_t>(in.gcount());
  out.resize(before + got);
  if (in.bad()) throw IoError(name + ": the stream failed while reading");
  return got;
}

// Appends the rest of `in` to `bytes`, refusing more than max_bytes in all.
void append_rest(std::istream& in, std::vector<std::uint8_t>& bytes, const std::string& name, std::uint64_t max_bytes) {
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  while (in) {
    // One byte past the limit tells a stream of exactly max_bytes from a longer one.
    const std::uint64_t room = max_bytes + 1 - bytes.size();
    if (append_from(in, bytes, std::size_t(std::min<std::uint64_t>(kChunk, room)), name) == 0) break;
    if (bytes.size() > max_bytes)
      throw FormatError(name + ": more than " + std::to_string(max_bytes) + " bytes, larger than any such object");
  }
}
}  // namespace

std::vector<std::uint8_t> read_stream_bytes(std::istream& in, const std::string& name, std::uint64_t max_bytes) {
  std::vector<std::uint8_t> bytes;
  append_rest(in, bytes, name, max_bytes);
  return bytes;
}

std::vector<std::uint8_t> read_sealed_stream(std::istream& in, const std::string& name, std::uint64_t max_bytes) {
  std::vector<std::uint8_t> bytes;
  append_from(in, bytes, kHeaderPrefixBytes, name);
  check_magic_and_version(bytes, name);  // before the rest is read
  append_rest(in, bytes, name, max_bytes);
  return bytes;
}

void write_stream_bytes(std::ostream& out, std::span<const std::uint8_t> bytes, const std::string& name) {
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  out.flush();
  if (!out) throw IoError(name + ": cannot write to the stream");
}

}  // namespace hepex::io
