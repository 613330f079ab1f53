#include "io/binary.hpp"

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

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
}

void BinaryWriter::write_bytes(const void* data, std::size_t n) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  buf_.insert(buf_.end(), p, p + n);
}

void BinaryWriter::write_string(const std::string& s) {
  write<std::uint64_t>(s.size());
  write_bytes(s.data(), s.size());
}

void BinaryWriter::save(const std::string& path) const {
  namespace fs = std::filesystem;
  const fs::path target(path);
  fs::path tmp = target;
  tmp += ".tmp-hepex";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw IoError(path + ": cannot open for writing");
    out.write(reinterpret_cast<const char*>(buf_.data()), static_cast<std::streamsize>(buf_.size()));
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw IoError(path + ": write failed (disk full?)");
    }
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw IoError(path + ": cannot move the finished file into place");
  }
}

std::vector<std::uint8_t> read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot open for reading");
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw IoError(path + ": read failed");
  return bytes;
}

BinaryReader::BinaryReader(std::vector<std::uint8_t> bytes, std::string name)
    : bytes_(std::move(bytes)), name_(std::move(name)) {}

BinaryReader BinaryReader::from_file(const std::string& path) { return BinaryReader(read_file_bytes(path), path); }

Header BinaryReader::read_header(ObjectType expected) {
  if (remaining() < sizeof(kMagic) + 16) fail("too short to be a hepex file");
  char magic[sizeof(kMagic)];
  read_bytes(magic, sizeof(magic));
  if (std::memcmp(magic, kMagic, sizeof(kMagic)) != 0) fail("not a hepex file (bad magic)");
  Header h;
  h.version = read<std::uint32_t>();
  if (h.version != kFormatVersion)
    fail("format version " + std::to_string(h.version) + " is not supported (this build reads version " +
         std::to_string(kFormatVersion) + ")");
  const auto type = read<std::uint32_t>();
  h.type = static_cast<ObjectType>(type);
  if (h.type != expected)
    fail(std::string("holds a ") + object_type_name(h.type) + ", expected a " + object_type_name(expected));
  h.param_hash = read<std::uint64_t>();
  return h;
}

void BinaryReader::read_bytes(void* out, std::size_t n) {
  if (n > remaining()) fail("truncated (needed " + std::to_string(n) + " more bytes, " + std::to_string(remaining()) + " left)");
  std::memcpy(out, bytes_.data() + pos_, n);
  pos_ += n;
}

std::string BinaryReader::read_string(std::uint64_t max_len) {
  const auto n = read<std::uint64_t>();
  if (n > max_len || n > remaining()) fail("string length " + std::to_string(n) + " is invalid");
  std::string s(n, '\0');
  read_bytes(s.data(), n);
  return s;
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
