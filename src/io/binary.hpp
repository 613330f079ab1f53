#pragma once
// Versioned little-endian binary files. Every hepex file starts with the same header:
//   magic "HEPEX\x1a\r\n" (8 bytes) | format version u32 | object type u32 | parameter hash u64
// Readers validate every length against the bytes left before allocating, and every error names the
// file. Writers go to a temporary file and rename it into place, so a failed write leaves nothing behind.
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "util/error.hpp"

namespace hepex::io {

inline constexpr char kMagic[8] = {'H', 'E', 'P', 'E', 'X', '\x1a', '\r', '\n'};
inline constexpr std::uint32_t kFormatVersion = 1;

// Object types stored in hepex files.
enum class ObjectType : std::uint32_t {
  kModel = 1,
  kParameters = 2,
  kSecretKey = 3,
  kPublicKey = 4,
  kRelinKey = 5,
  kGaloisKeys = 6,
  kEvalKeys = 7,
  kPlaintext = 8,
  kCiphertext = 9,
  kCiphertextBatch = 10,
  kTensor = 11,
};

const char* object_type_name(ObjectType t);

struct Header {
  std::uint32_t version = kFormatVersion;
  ObjectType type{};
  std::uint64_t param_hash = 0;  // 0 when the object does not depend on CKKS parameters
};

class BinaryWriter {
 public:
  void write_header(const Header& h);
  void write_bytes(const void* data, std::size_t n);
  template <class T>
  void write(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    write_bytes(&v, sizeof(T));
  }
  template <class T>
  void write_vector(const std::vector<T>& v) {
    write<std::uint64_t>(v.size());
    write_bytes(v.data(), v.size() * sizeof(T));
  }
  void write_string(const std::string& s);

  const std::vector<std::uint8_t>& bytes() const { return buf_; }
  // Atomically writes the buffer to path (temp file + rename); throws IoError naming path on failure.
  void save(const std::string& path) const;

 private:
  std::vector<std::uint8_t> buf_;
};

class BinaryReader {
 public:
  // `name` (usually the file path) prefixes every error message.
  BinaryReader(std::vector<std::uint8_t> bytes, std::string name);
  static BinaryReader from_file(const std::string& path);

  // Reads and checks magic, version and type; returns the header. Throws FormatError otherwise.
  Header read_header(ObjectType expected);

  void read_bytes(void* out, std::size_t n);
  template <class T>
  T read() {
    static_assert(std::is_trivially_copyable_v<T>);
    T v;
    read_bytes(&v, sizeof(T));
    return v;
  }
  // Reads a length-prefixed vector; refuses lengths above max_count or beyond the remaining bytes.
  template <class T>
  std::vector<T> read_vector(std::uint64_t max_count) {
    const auto n = read<std::uint64_t>();
    if (n > max_count) fail("vector length " + std::to_string(n) + " exceeds the limit " + std::to_string(max_count));
    if (n * sizeof(T) > remaining()) fail("vector of " + std::to_string(n) + " elements runs past the end of the data");
    std::vector<T> v(n);
    read_bytes(v.data(), n * sizeof(T));
    return v;
  }
  std::string read_string(std::uint64_t max_len = 1 << 20);

  std::size_t remaining() const { return bytes_.size() - pos_; }
  // Throws unless all bytes were consumed (trailing garbage is an error).
  void expect_end();
  [[noreturn]] void fail(const std::string& what) const;
  const std::string& name() const { return name_; }

 private:
  std::vector<std::uint8_t> bytes_;
  std::size_t pos_ = 0;
  std::string name_;
};

// Reads a whole file; throws IoError naming the path.
std::vector<std::uint8_t> read_file_bytes(const std::string& path);

// FNV-1a 64-bit, for parameter fingerprints in headers (not a cryptographic hash: it detects mix-ups).
std::uint64_t fnv1a64(const void* data, std::size_t n, std::uint64_t h = 0xcbf29ce484222325ull);

}  // namespace hepex::io
