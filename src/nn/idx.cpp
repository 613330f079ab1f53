#include "nn/idx.hpp"

#include <zlib.h>

#include <algorithm>

#include "io/safe_file.hpp"
#include "util/error.hpp"

namespace hepex::nn {
namespace {
// Decompressed IDX files above this are refused (MNIST train images are 47 MB).
constexpr std::size_t kMaxInflated = std::size_t(1) << 31;
// A file on disk (plain or gzip) above this is refused before reading it.
constexpr std::size_t kMaxFileBytes = kMaxInflated + (std::size_t(1) << 16);

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

std::size_t header_bytes(int ndims) { return 4 + 4 * std::size_t(ndims); }

// Checks the 4-byte magic/type/ndims prefix `p` (at least 4 bytes).
void check_prefix(const std::uint8_t* p, int ndims, const std::string& name) {
  if (p[0] != 0 || p[1] != 0) throw FormatError(name + ": not an IDX file (bad magic)");
  if (p[2] != 0x08)
    throw FormatError(name + ": IDX data type code " + std::to_string(p[2]) + " is not unsigned bytes (8)");
  if (p[3] != ndims)
    throw FormatError(name + ": has " + std::to_string(p[3]) + " dimensions, expected " + std::to_string(ndims));
}

// Reads the `ndims` sizes after the prefix; returns the data bytes they promise (bounded by kMaxInflated).
std::size_t read_dims(const std::uint8_t* p, int ndims, const std::string& name, std::vector<std::uint32_t>& dims) {
  std::size_t count = 1;
  for (int i = 0; i < ndims; ++i) {
    const auto d = be32(p + 4 + 4 * std::size_t(i));
    if (d == 0) throw FormatError(name + ": dimension " + std::to_string(i) + " is zero");
    if (count > kMaxInflated / d) throw FormatError(name + ": dimensions are implausibly large");
    count *= d;
    dims.push_back(d);
  }
  return count;
}

// One gzip member inflated in pieces, so a reader can stop at the size it expects.
class GzipReader {
 public:
  GzipReader(const std::vector<std::uint8_t>& gz, std::string name) : name_(std::move(name)) {
    if (gz.size() > kMaxFileBytes) throw FormatError(name_ + ": gzip data larger than any IDX file this reader accepts");
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) throw Error(name_ + ": zlib initialisation failed");
    zs_.next_in = const_cast<Bytef*>(gz.data());
    zs_.avail_in = uInt(gz.size());  // below 4 GiB, checked above
  }
  ~GzipReader() { inflateEnd(&zs_); }
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;

  // Inflates up to n bytes into out; returns how many were written (fewer only at the end of the stream).
  std::size_t read(std::uint8_t* out, std::size_t n) {
    std::size_t done = 0;
    while (done < n && !ended_) {
      const std::size_t chunk = std::min<std::size_t>(n - done, std::size_t(1) << 30);
      zs_.next_out = out + done;
      zs_.avail_out = uInt(chunk);
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      done += chunk - zs_.avail_out;
      if (rc == Z_STREAM_END) {
        ended_ = true;
        if (zs_.avail_in != 0) throw FormatError(name_ + ": unexpected bytes after the gzip data");
      } else if (rc == Z_BUF_ERROR || (rc == Z_OK && zs_.avail_in == 0 && zs_.avail_out != 0)) {
        throw FormatError(name_ + ": gzip data is truncated");
      } else if (rc != Z_OK) {
        throw FormatError(name_ + ": corrupt gzip data (" + (zs_.msg ? std::string(zs_.msg) : "error " + std::to_string(rc)) + ")");
      }
    }
    return done;
  }
  // True when the stream holds no more data (reads one byte to find out, and checks the CRC on the way).
  bool at_end() {
    std::uint8_t extra;
    return read(&extra, 1) == 0;
  }

 private:
  z_stream zs_{};
  std::string name_;
  bool ended_ = false;
};

// Inflates an IDX file: the header first, then exactly the data it declares; a stream longer than
// that is refused without inflating the rest (a small file must not expand to gigabytes).
IdxArray inflate_idx(const std::vector<std::uint8_t>& gz, int ndims, const std::string& name) {
  GzipReader in(gz, name);
  std::vector<std::uint8_t> header(header_bytes(ndims));
  const std::size_t got = in.read(header.data(), 4);
  if (got < 4) throw FormatError(name + ": too short to be an IDX file");
  check_prefix(header.data(), ndims, name);
  if (in.read(header.data() + 4, header.size() - 4) != header.size() - 4)
    throw FormatError(name + ": IDX header is truncated");
  IdxArray a;
  const std::size_t count = read_dims(header.data(), ndims, name, a.dims);
  // The buffer grows with the data actually inflated, not with what the header claims.
  std::size_t have = 0;
  while (have < count) {
    const std::size_t step = std::min(count - have, std::max<std::size_t>(have, std::size_t(1) << 20));
    a.data.resize(have + step);
    const std::size_t got = in.read(a.data.data() + have, step);
    have += got;
    if (got < step) break;
  }
  if (have < count)
    throw FormatError(name + ": truncated (header promises " + std::to_string(count) + " data bytes, found " +
                      std::to_string(have) + ")");
  if (!in.at_end())
    throw FormatError(name + ": gzip data continues past the " + std::to_string(count) +
                      " data bytes its IDX header declares");
  return a;
}

bool is_gzip(const std::vector<std::uint8_t>& b) { return b.size() >= 2 && b[0] == 0x1f && b[1] == 0x8b; }

}  // namespace

std::vector<std::uint8_t> gunzip(const std::vector<std::uint8_t>& gz, const std::string& name) {
  GzipReader in(gz, name);
  std::vector<std::uint8_t> out;
  std::size_t used = 0;
  for (;;) {
    if (used == out.size()) {
      if (out.size() == kMaxInflated) {
        if (!in.at_end())
          throw FormatError(name + ": decompressed data exceeds " + std::to_string(kMaxInflated >> 20) + " MiB");
        break;
      }
      out.resize(std::min(kMaxInflated, std::max<std::size_t>(out.size() * 2, 1 << 16)));
    }
    used += in.read(out.data() + used, out.size() - used);
    if (used < out.size()) break;  // the stream ended
  }
  out.resize(used);
  return out;
}

IdxArray parse_idx(const std::vector<std::uint8_t>& bytes, int ndims, const std::string& name) {
  if (bytes.size() < 4) throw FormatError(name + ": too short to be an IDX file");
  check_prefix(bytes.data(), ndims, name);
  const std::size_t header = header_bytes(ndims);
  if (bytes.size() < header) throw FormatError(name + ": IDX header is truncated");
  IdxArray a;
  const std::size_t count = read_dims(bytes.data(), ndims, name, a.dims);
  const std::size_t have = bytes.size() - header;
  if (have < count)
    throw FormatError(name + ": truncated (header promises " + std::to_string(count) + " data bytes, found " +
                      std::to_string(have) + ")");
  if (have > count)
    throw FormatError(name + ": " + std::to_string(have - count) + " unexpected bytes after the data");
  a.data.assign(bytes.begin() + std::ptrdiff_t(header), bytes.end());
  return a;
}

IdxArray parse_idx_file_bytes(const std::vector<std::uint8_t>& bytes, int ndims, const std::string& name) {
  return is_gzip(bytes) ? inflate_idx(bytes, ndims, name) : parse_idx(bytes, ndims, name);
}

// The size is checked before reading (io::read_file_bytes): no IDX file is larger than kMaxFileBytes.
IdxArray read_idx_file(const std::string& path, int ndims) {
  return parse_idx_file_bytes(io::read_file_bytes(path, kMaxFileBytes), ndims, path);
}

}  // namespace hepex::nn
