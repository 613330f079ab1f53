#pragma once
// hepex objects through std::istream / std::ostream (pipes, sockets wrapped in streams, in-memory streams),
// with the checks of files and byte buffers. A stream holds one object: it is read to its end.
//
// Reading never trusts a size: the buffer grows with the bytes that actually arrive (in chunks), up to
// `max_bytes`; the object's parser then checks every declared length against the bytes present before it
// allocates, as for files and byte buffers. A truncated stream fails the integrity trailer's check.
#include <cstdint>
#include <istream>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "io/safe_file.hpp"

namespace hepex::io {

// All bytes left in `in`. FormatError naming `name` beyond max_bytes, IoError when the stream fails.
std::vector<std::uint8_t> read_stream_bytes(std::istream& in, const std::string& name,
                                            std::uint64_t max_bytes = kMaxFileBytes);
// A hepex file's bytes from a stream, integrity trailer included (what unseal takes): magic and version are
// checked on the first bytes, so a foreign stream is refused before the rest is read. `name` prefixes errors.
std::vector<std::uint8_t> read_sealed_stream(std::istream& in, const std::string& name,
                                             std::uint64_t max_bytes = kMaxFileBytes);
// Writes `bytes` and flushes; IoError naming `name` when the stream fails.
void write_stream_bytes(std::ostream& out, std::span<const std::uint8_t> bytes, const std::string& name);

}  // namespace hepex::io
