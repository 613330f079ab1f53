#pragma once
// The byte strings the front door hands over: each is exactly the bytes of the file of the same object
// (`hepex keygen`, `encrypt`, `infer` write them), integrity trailer included, so bytes written to disk are
// a valid file and a file read into memory is valid bytes.
//
// Streams: every reader of bytes also reads a std::istream (one object per stream, read to its end; a hepex
// object's magic and version are checked on its first bytes, before the rest is read) with the same checks,
// and every writer also writes a std::ostream (write_bytes below for the byte strings the classes return).
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "io/stream.hpp"

namespace hepex {

using Bytes = std::vector<std::uint8_t>;

// Writes `bytes` (e.g. Client::eval_keys()) to `out` and flushes; IoError naming `name` when the stream fails.
inline void write_bytes(std::ostream& out, const Bytes& bytes, const std::string& name = "output stream") {
  io::write_stream_bytes(out, bytes, name);
}

}  // namespace hepex
