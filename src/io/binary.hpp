#pragma once
// Versioned little-endian binary files. Every hepex file starts with the same header:
//   magic "HEPEX\x1a\r\n" (8 bytes) | format version u32 | object type u32 | parameter hash u64 |
//   key set id (16 bytes; zero for objects of no key set)
// and a file on disk ends with a 32-byte BLAKE2b digest of everything before it (the integrity trailer),
// checked before anything else is parsed. Byte strings made by bytes() (nested objects) carry no trailer.
// Version 3 stores RNS words bit-packed (write_packed); version 2 (64-bit words) is still read; version 1
// (no key set id, no trailer) is still read for models.
// Readers validate every length against the bytes left before allocating, and every error names the
// file. Writers go through io/safe_file.hpp, so a failed write leaves nothing behind.
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "io/safe_file.hpp"
#include "util/error.hpp"

namespace hepex::io {

inline constexpr char kMagic[8] = {'H', 'E', 'P', 'E', 'X', '\x1a', '\r', '\n'};
inline constexpr std::uint32_t kFormatVersion = 3;
// The oldest version read for every object type (models: also version 1).
inline constexpr std::uint32_t kOldestFormatVersion = 2;
inline constexpr std::size_t kDigestBytes = 32;

// Identity of a key set: a BLAKE2b digest of its public key (ckks::key_set_id). Files of a key set (its
// keys and the ciphertexts encrypted under it) carry it, so that objects of two key sets are never mixed.
using KeyId = std::array<std::uint8_t, 16>;
inline bool is_set(const KeyId& id) { return id != KeyId{}; }
std::string key_id_text(const KeyId& id);  // the first 8 bytes in hex, or "none"

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
  KeyId key_id{};                // zero when the object belongs to no key set
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
  // `words`, each below 2^width, in packed_bytes(words.size(), width) bytes (io/bit_pack.hpp).
  void write_packed(std::span<const std::uint64_t> words, unsigned width);

  void reserve(std::size_t bytes) { buf_.reserve(bytes); }
  const std::vector<std::uint8_t>& bytes() const { return buf_; }
  std::vector<std::uint8_t> take_bytes() { return std::move(buf_); }  // the writer is empty afterwards
  // Writes the buffer and its integrity trailer to path (io/safe_file.hpp); IoError naming path on failure.
  // secret: mode 0600.
  void save(const std::string& path, bool secret = false) const;

 private:
  std::vector<std::uint8_t> buf_;
};

class BinaryReader {
 public:
  // `name` (usually the file path) prefixes every error message.
  BinaryReader(std::vector<std::uint8_t> bytes, std::string name);
  // A hepex file: read_hepex_file(path).
  static BinaryReader from_file(const std::string& path);
  // The first `size` bytes of an open file, read from disk as they are asked for (never held whole): a parser
  // of a large file (open_hepex_file). Reads at positions stay safe from several threads at once.
  BinaryReader(std::shared_ptr<const ReadOnlyFile> file, std::uint64_t size, std::string name);

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
  // words.size() words of `width` bits (1..64) written by write_packed; fails when the bytes run out.
  void read_packed(std::span<std::uint64_t> words, unsigned width);
  // A length-prefixed part (at most max_bytes, within the remaining bytes) as a reader of its own named
  // `name`, moving past it: from a file, read from disk as asked for; in memory, a copy.
  BinaryReader read_part(std::uint64_t max_bytes, std::string name);
  // Moves past n bytes without reading them (a parser that decodes them later: read_packed_at, copy_at).
  void skip(std::size_t n);
  // The same as read_packed / read_bytes at byte `pos`, without moving: safe from several threads at once.
  void read_packed_at(std::size_t pos, std::span<std::uint64_t> words, unsigned width) const;
  void copy_at(std::size_t pos, void* out, std::size_t n) const;

  std::size_t remaining() const { return size_ - pos_; }
  // Where the next read starts; seek() returns there (a parser reading a part of the bytes again).
  std::size_t position() const { return pos_; }
  void seek(std::size_t pos);
  // Throws unless all bytes were consumed (trailing garbage is an error).
  void expect_end();
  [[noreturn]] void fail(const std::string& what) const;
  const std::string& name() const { return name_; }

 private:
  // FormatError unless n bytes follow byte `pos`.
  void require_bytes(std::size_t pos, std::size_t n) const;

  std::vector<std::uint8_t> bytes_;            // all of them, or (file_ set) none
  std::shared_ptr<const ReadOnlyFile> file_;  // where they are read from when not in memory
  std::uint64_t offset_ = 0;                  // of byte 0 in the file
  std::size_t size_ = 0, pos_ = 0;
  std::string name_;
};

// Bytes of a hepex header that magic and version are read from (the version-1 header, a prefix of version 2's).
inline constexpr std::size_t kHeaderPrefixBytes = sizeof(kMagic) + 4 + 4 + 8;
// Checks magic and version on the first bytes of a hepex object (FormatError naming `name`: too short, not a
// hepex file, unsupported version); returns the version.
std::uint32_t check_magic_and_version(std::span<const std::uint8_t> head, const std::string& name);

// Reads a hepex file: checks its magic and version on the first bytes (so a foreign or huge file is refused
// before it is read), then its integrity trailer; returns the bytes without the trailer. FormatError naming
// the path: "corrupted or truncated" when the digest differs.
std::vector<std::uint8_t> read_hepex_file(const std::string& path);
// The same checks in one streaming pass (the file is never held whole), then a reader of its bytes without
// the trailer that reads them from disk as they are asked for: for a file read part by part (a server's input
// ciphertexts). The file must not change while it is read (its parser still checks every object it builds).
BinaryReader open_hepex_file(const std::string& path);

// The same for a file's bytes held in memory (what a file, a socket or a Python caller hands over): checks
// magic, version and the integrity trailer, returns the bytes without it. `name` prefixes every error.
std::vector<std::uint8_t> unseal(std::vector<std::uint8_t> bytes, const std::string& name);
// A file's bytes in memory: `body` (a BinaryWriter's bytes()) followed by its integrity trailer, exactly
// what BinaryWriter::save writes to disk.
std::vector<std::uint8_t> seal(std::vector<std::uint8_t> body);
// The object type a hepex byte string (sealed or not) declares in its header, without checking anything
// else; nullopt when the bytes are no hepex header. For refusing the wrong object with a clear message.
std::optional<ObjectType> declared_object_type(std::span<const std::uint8_t> bytes);

// FNV-1a 64-bit, for parameter fingerprints in headers (not a cryptographic hash: it detects mix-ups).
std::uint64_t fnv1a64(const void* data, std::size_t n, std::uint64_t h = 0xcbf29ce484222325ull);

}  // namespace hepex::io
