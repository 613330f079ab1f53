#pragma once
// IDX files (the MNIST format): big-endian header 0x00 0x00 <type> <ndims>, ndims u32 sizes, then data.
// Only unsigned-byte data (type 0x08) is accepted. Files may be gzip-compressed (detected by their magic
// bytes, whatever the name). Every error names the file and what is wrong.
#include <cstdint>
#include <string>
#include <vector>

namespace hepex::nn {

struct IdxArray {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> data;  // product(dims) bytes, row-major
};

// Parses IDX bytes (already decompressed); `name` prefixes errors. Expects exactly `ndims` dimensions.
IdxArray parse_idx(const std::vector<std::uint8_t>& bytes, int ndims, const std::string& name);
// Parses the bytes of an IDX file as stored: gzip data (by its magic bytes) is inflated only as far as
// the IDX header inside it declares; a stream going beyond that is refused. `name` prefixes errors.
IdxArray parse_idx_file_bytes(const std::vector<std::uint8_t>& bytes, int ndims, const std::string& name);
// Reads a file (its size bounded before reading) and parses it as parse_idx_file_bytes does.
IdxArray read_idx_file(const std::string& path, int ndims);
// Inflates a gzip stream (at most 2 GiB out); throws FormatError naming `name` for corrupt, truncated or
// oversized data.
std::vector<std::uint8_t> gunzip(const std::vector<std::uint8_t>& gz, const std::string& name);

}  // namespace hepex::nn
