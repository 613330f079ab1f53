#include "io/binary.hpp"

#include <algorithm>
#include <cstring>

#include "io/bit_pack.hpp"
#include "io/safe_file.hpp"
#include "util/hash.hpp"

namespace hepex::io {

const char* object_type_name(ObjectType t) {
  switch (t) {
    case ObjectType::kModel: return "model";
    case ObjectType::kParameters: return "CKKS parameters";
    case ObjectType::kSecretKey: return "secret key";
    case ObjectType::kPublicKey: return "public key";
    case ObjectType::kRelinKey: return "relinearization key";
    case ObjectType::kGaloisKeys: return "Galois keys";
    case ObjectType::kEvalKeys: return "evaluation keys";
    case ObjectType::kPlaintext: return "plaintext";
    case ObjectType::kCiphertext: return "ciphertext";
    case ObjectType::kCiphertextBatch: return "ciphertext batch";
    case ObjectType::kTensor: return "tensor";
  }
  return "unknown object";
}

void BinaryWriter::write_header(const Header& h) {
  write_bytes(kMagic, sizeof(kMagic));
  write<std::uint32_t>(h.version);
  write<std::uint32_t>(static_cast<std::uint32_t>(h.type));
  write<std::uint64_t>(h.param_hash);
  write_bytes(h.key_id.data(), h.key_id.size());
}

void BinaryWriter::write_bytes(const void* data, std::size_t n) {
  if (n == 0) return;
  const auto* p = static_cast<const std::uint8_t*>(data);
  buf_.insert(buf_.end(), p, p + n);
}

void BinaryWriter::write_string(const std::string& s) {
  write<std::uint64_t>(s.size());
  write_bytes(s.data(), s.size());
}

void BinaryWriter::write_packed(std::span<const std::uint64_t> words, unsigned width) {
  const std::size_t at = buf_.size();
  buf_.resize(at + packed_bytes(words.size(), width));
  pack_bits(words, width, buf_.data() + at);
}

void BinaryWriter::save(const std::string& path, bool secret) const {
  const auto digest = blake2b<kDigestBytes>(buf_);
  write_file_atomic(path, {std::span<const std::uint8_t>(buf_), std::span<const std::uint8_t>(digest)},
                    secret ? FileMode::kSecret : FileMode::kShared);
}

namespace {
constexpr std::size_t kHeaderV1Bytes = kHeaderPrefixBytes;
constexpr std::size_t kHeaderBytes = kHeaderV1Bytes + sizeof(KeyId);

// A sealed object (version 2 and later) of `size` bytes must hold a header and its digest.
void check_sealed_size(std::uint64_t size, const std::string& name) {
  if (size < kHeaderBytes + kDigestBytes)
    throw FormatError(name + ": truncated (" + std::to_string(size) + " bytes, shorter than a header and digest)");
}

[[noreturn]] void integrity_failed(const std::string& name) {
  throw FormatError(name + ": integrity check failed: the file is corrupted or truncated (its BLAKE2b digest differs)");
}

}  // namespace

std::string key_id_text(const KeyId& id) {
  return is_set(id) ? to_hex(std::span(id.data(), 8)) : std::string("none");
}

// Magic and version of a header prefix (at least kHeaderV1Bytes); returns the version.
std::uint32_t check_magic_and_version(std::span<const std::uint8_t> head, const std::string& name) {
  if (head.size() < kHeaderV1Bytes) throw FormatError(name + ": too short to be a hepex file");
  if (std::memcmp(head.data(), kMagic, sizeof(kMagic)) != 0) throw FormatError(name + ": not a hepex file (bad magic)");
  std::uint32_t version;
  std::memcpy(&version, head.data() + sizeof(kMagic), sizeof version);
  if (version != 1 && (version < kOldestFormatVersion || version > kFormatVersion))
    throw FormatError(name + ": format version " + std::to_string(version) + " is not supported (this build reads " +
                      "version 1 for models and versions " + std::to_string(kOldestFormatVersion) + " to " +
                      std::to_string(kFormatVersion) + ")");
  return version;
}

std::vector<std::uint8_t> read_hepex_file(const std::string& path) {
  // The header first, so that a foreign or huge file is refused before it is read whole.
  check_magic_and_version(read_file_prefix(path, kHeaderV1Bytes), path);
  return unseal(read_file_bytes(path), path);
}

BinaryReader open_hepex_file(const std::string& path) {
  auto file = std::make_shared<const ReadOnlyFile>(path);
  std::vector<std::uint8_t> head(std::min<std::uint64_t>(kHeaderV1Bytes, file->size()));
  file->read_at(0, head.data(), head.size());
  const std::uint32_t version = check_magic_and_version(head, path);
  if (version == 1) return BinaryReader(file, file->size(), path);  // no trailer (models only, as unseal)
  check_sealed_size(file->size(), path);
  const std::uint64_t body = file->size() - kDigestBytes;
  Blake2b<kDigestBytes> hash;
  std::vector<std::uint8_t> chunk(std::size_t{1} << 20);
  for (std::uint64_t at = 0; at < body;) {
    const std::size_t n = std::size_t(std::min<std::uint64_t>(chunk.size(), body - at));
    file->read_at(at, chunk.data(), n);
    hash.update(chunk.data(), n);
    at += n;
  }
  std::array<std::uint8_t, kDigestBytes> stored;
  file->read_at(body, stored.data(), stored.size());
  if (hash.finish() != stored) integrity_failed(path);
  return BinaryReader(std::move(file), body, path);
}

std::vector<std::uint8_t> unseal(std::vector<std::uint8_t> bytes, const std::string& name) {
  const std::uint32_t version = check_magic_and_version(bytes, name);
  if (version == 1) return bytes;  // no trailer; read_header admits version 1 for models only
  check_sealed_size(bytes.size(), name);
  const std::size_t body = bytes.size() - kDigestBytes;
  const auto digest = blake2b<kDigestBytes>(std::span<const std::uint8_t>(bytes.data(), body));
  if (std::memcmp(digest.data(), bytes.data() + body, kDigestBytes) != 0) integrity_failed(name);
  bytes.resize(body);
  return bytes;
}

std::vector<std::uint8_t> seal(std::vector<std::uint8_t> body) {
  const auto digest = blake2b<kDigestBytes>(body);
  body.insert(body.end(), digest.begin(), digest.end());
  return body;
}

std::optional<ObjectType> declared_object_type(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kHeaderV1Bytes || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) return std::nullopt;
  std::uint32_t type;
  std::memcpy(&type, bytes.data() + sizeof(kMagic) + 4, sizeof type);
  return static_cast<ObjectType>(type);
}

BinaryReader::BinaryReader(std::vector<std::uint8_t> bytes, std::string name)
    : bytes_(std::move(bytes)), size_(bytes_.size()), name_(std::move(name)) {}

BinaryReader::BinaryReader(std::shared_ptr<const ReadOnlyFile> file, std::uint64_t size, std::string name)
    : file_(std::move(file)), size_(size), name_(std::move(name)) {
  if (!file_ || size > file_->size()) throw InvalidArgument(name_ + ": a reader past the end of its file");
}

BinaryReader BinaryReader::from_file(const std::string& path) { return BinaryReader(read_hepex_file(path), path); }

Header BinaryReader::read_header(ObjectType expected) {
  if (remaining() < kHeaderV1Bytes) fail("too short to be a hepex file");
  char magic[sizeof(kMagic)];
  read_bytes(magic, sizeof(magic));
  if (std::memcmp(magic, kMagic, sizeof(kMagic)) != 0) fail("not a hepex file (bad magic)");
  Header h;
  h.version = read<std::uint32_t>();
  const bool legacy_model = h.version == 1 && expected == ObjectType::kModel;
  if ((h.version < kOldestFormatVersion || h.version > kFormatVersion) && !legacy_model)
    fail("format version " + std::to_string(h.version) + " is not supported (this build reads versions " +
         std::to_string(kOldestFormatVersion) + " to " + std::to_string(kFormatVersion) + ")");
  const auto type = read<std::uint32_t>();
  h.type = static_cast<ObjectType>(type);
  if (h.type != expected)
    fail(std::string("holds a ") + object_type_name(h.type) + ", expected a " + object_type_name(expected));
  h.param_hash = read<std::uint64_t>();
  if (!legacy_model) read_bytes(h.key_id.data(), h.key_id.size());
  return h;
}

void BinaryReader::read_bytes(void* out, std::size_t n) {
  copy_at(pos_, out, n);
  pos_ += n;
}

void BinaryReader::read_packed(std::span<std::uint64_t> words, unsigned width) {
  read_packed_at(pos_, words, width);
  pos_ += packed_bytes(words.size(), width);
}

BinaryReader BinaryReader::read_part(std::uint64_t max_bytes, std::string name) {
  const auto n = read<std::uint64_t>();
  if (n > max_bytes) fail("part of " + std::to_string(n) + " bytes exceeds the limit " + std::to_string(max_bytes));
  require_bytes(pos_, n);
  if (!file_) {
    std::vector<std::uint8_t> bytes(bytes_.begin() + std::ptrdiff_t(pos_), bytes_.begin() + std::ptrdiff_t(pos_ + n));
    pos_ += n;
    return BinaryReader(std::move(bytes), std::move(name));
  }
  BinaryReader part(file_, 0, std::move(name));
  part.offset_ = offset_ + pos_;
  part.size_ = n;
  pos_ += n;
  return part;
}

void BinaryReader::skip(std::size_t n) {
  require_bytes(pos_, n);
  pos_ += n;
}

void BinaryReader::require_bytes(std::size_t pos, std::size_t n) const {
  const std::size_t left = size_ - std::min(pos, size_);
  if (n > left) fail("truncated (needed " + std::to_string(n) + " more bytes, " + std::to_string(left) + " left)");
}

void BinaryReader::read_packed_at(std::size_t pos, std::span<std::uint64_t> words, unsigned width) const {
  if (width < 1 || width > 64) fail("packed word width " + std::to_string(width) + " is not in 1..64");
  const std::size_t n = packed_bytes(words.size(), width);
  require_bytes(pos, n);
  if (!file_) return unpack_bits(bytes_.data() + pos, width, words);
  std::vector<std::uint8_t> packed(n);
  file_->read_at(offset_ + pos, packed.data(), n);
  unpack_bits(packed.data(), width, words);
}

void BinaryReader::copy_at(std::size_t pos, void* out, std::size_t n) const {
  if (n == 0) return;  // (memcpy into the null data() of an empty vector is undefined)
  require_bytes(pos, n);
  if (file_) return file_->read_at(offset_ + pos, out, n);
  std::memcpy(out, bytes_.data() + pos, n);
}

std::string BinaryReader::read_string(std::uint64_t max_len) {
  const auto n = read<std::uint64_t>();
  if (n > max_len || n > remaining()) fail("string length " + std::to_string(n) + " is invalid");
  std::string s(n, '\0');
  read_bytes(s.data(), n);
  return s;
}

void BinaryReader::seek(std::size_t pos) {
  if (pos > size_) fail("seek to byte " + std::to_string(pos) + " past the end (" + std::to_string(size_) + ")");
  pos_ = pos;
}

void BinaryReader::expect_end() {
  if (remaining() != 0) fail(std::to_string(remaining()) + " unexpected trailing bytes");
}

void BinaryReader::fail(const std::string& what) const { throw FormatError(name_ + ": " + what); }

std::uint64_t fnv1a64(const void* data, std::size_t n, std::uint64_t h) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  for (std::size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace hepex::io
