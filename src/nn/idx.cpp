#include "nn/idx.hpp"

#include <zlib.h>

#include "io/binary.hpp"
#include "util/error.hpp"

namespace hepex::nn {
namespace {
// Decompressed IDX files above this are refused (MNIST train images are 47 MB).
constexpr std::size_t kMaxInflated = std::size_t(1) << 31;

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}
}  // namespace

std::vector<std::uint8_t> gunzip(const std::vector<std::uint8_t>& gz, const std::string& name) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw Error(name + ": zlib initialisation failed");
  std::vector<std::uint8_t> out;
  zs.next_in = const_cast<Bytef*>(gz.data());
  zs.avail_in = uInt(gz.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (out.size() >= kMaxInflated) {
      inflateEnd(&zs);
      throw FormatError(name + ": decompressed data exceeds " + std::to_string(kMaxInflated >> 20) + " MiB");
    }
    const std::size_t old = out.size();
    out.resize(old + std::max<std::size_t>(gz.size() * 2, 1 << 16));
    zs.next_out = out.data() + old;
    zs.avail_out = uInt(out.size() - old);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(out.size() - zs.avail_out);
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK) {
      const std::string msg = zs.msg ? zs.msg : "error " + std::to_string(rc);
      inflateEnd(&zs);
      throw FormatError(name + ": corrupt gzip data (" + msg + ")");
    }
    if (zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      throw FormatError(name + ": gzip data is truncated");
    }
  }
  inflateEnd(&zs);
  return out;
}

IdxArray parse_idx(const std::vector<std::uint8_t>& bytes, int ndims, const std::string& name) {
  if (bytes.size() < 4) throw FormatError(name + ": too short to be an IDX file");
  if (bytes[0] != 0 || bytes[1] != 0) throw FormatError(name + ": not an IDX file (bad magic)");
  if (bytes[2] != 0x08)
    throw FormatError(name + ": IDX data type code " + std::to_string(bytes[2]) + " is not unsigned bytes (8)");
  if (bytes[3] != ndims)
    throw FormatError(name + ": has " + std::to_string(bytes[3]) + " dimensions, expected " + std::to_string(ndims));
  const std::size_t header = 4 + 4 * std::size_t(ndims);
  if (bytes.size() < header) throw FormatError(name + ": IDX header is truncated");
  IdxArray a;
  std::size_t count = 1;
  for (int i = 0; i < ndims; ++i) {
    const auto d = be32(bytes.data() + 4 + 4 * i);
    if (d == 0) throw FormatError(name + ": dimension " + std::to_string(i) + " is zero");
    if (count > kMaxInflated / d) throw FormatError(name + ": dimensions are implausibly large");
    count *= d;
    a.dims.push_back(d);
  }
  const std::size_t have = bytes.size() - header;
  if (have < count)
    throw FormatError(name + ": truncated (header promises " + std::to_string(count) + " data bytes, found " +
                      std::to_string(have) + ")");
  if (have > count)
    throw FormatError(name + ": " + std::to_string(have - count) + " unexpected bytes after the data");
  a.data.assign(bytes.begin() + std::ptrdiff_t(header), bytes.end());
  return a;
}

IdxArray read_idx_file(const std::string& path, int ndims) {
  auto bytes = io::read_file_bytes(path);
  if (bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) bytes = gunzip(bytes, path);
  return parse_idx(bytes, ndims, path);
}

}  // namespace hepex::nn
