#include "service/key_store.hpp"

#include <sodium.h>

#include <filesystem>
#include <fstream>

#include "io/binary.hpp"
#include "io/safe_file.hpp"
#include "service/errors.hpp"
#include "util/csprng.hpp"
#include "util/hash.hpp"

namespace hepex::service {

namespace fs = std::filesystem;

namespace {
const char* const kKeysFile = "eval.keys";
const char* const kTokenFile = "token.hash";
using TokenHash = std::array<std::uint8_t, 32>;

TokenHash token_hash(std::span<const std::uint8_t> token) { return blake2b<32>(token); }

std::vector<std::uint8_t> random_bytes(std::size_t n) {
  std::vector<std::uint8_t> b(n);
  randombytes_buf(b.data(), b.size());
  return b;
}
}  // namespace

bool valid_key_id(std::string_view id) {
  if (id.size() != 2 * kKeyIdBytes) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

KeyStore::KeyStore(std::string dir, std::size_t max_key_sets) : dir_(std::move(dir)), max_key_sets_(max_key_sets) {
  if (sodium_init() < 0) throw Error("key store: libsodium failed to initialize");
  io::create_directory(dir_, 0700);
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) throw IoError("key store " + dir_ + ": not a directory");
}

std::size_t KeyStore::size() const {
  std::size_t n = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec))
    n += valid_key_id(it->path().filename().string());
  return n;
}

Credentials KeyStore::add(std::span<const std::uint8_t> body) {
  if (size() >= max_key_sets_)
    throw Busy("key store: full (" + std::to_string(max_key_sets_) + " key sets); ask the operator to remove some");
  Credentials c;
  fs::path d;
  for (int attempt = 0;; ++attempt) {
    c.key_id = to_hex(random_bytes(kKeyIdBytes));
    d = fs::path(dir_) / c.key_id;
    std::error_code ec;
    if (fs::create_directory(d, ec)) break;  // a fresh directory: no other upload has this id
    if (ec || attempt > 8) throw IoError("key store " + dir_ + ": cannot create a key directory" +
                                         (ec ? " (" + ec.message() + ")" : ""));
  }
  fs::permissions(d, fs::perms::owner_all, fs::perm_options::replace);
  c.token = random_bytes(kTokenBytes);
  try {
    io::write_file_atomic((d / kKeysFile).string(), body, io::FileMode::kSecret);
    const auto h = token_hash(c.token);
    // The token's hash last: only a complete upload becomes usable.
    io::write_file_atomic((d / kTokenFile).string(), std::span<const std::uint8_t>(h), io::FileMode::kSecret);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(d, ec);
    throw;
  }
  return c;
}

std::string KeyStore::authorize(const Credentials& c) const {
  if (c.key_id.empty()) throw AccessDenied("no credentials: upload the evaluation keys first");
  if (!valid_key_id(c.key_id)) throw InvalidArgument("malformed key id (32 lower-case hex digits expected)");
  if (c.token.size() != kTokenBytes)
    throw AccessDenied("key " + c.key_id + ": malformed access token (" + std::to_string(kTokenBytes) + " bytes expected)");
  const fs::path d = fs::path(dir_) / c.key_id;
  const fs::path token_path = d / kTokenFile;
  std::error_code ec;
  if (!fs::is_regular_file(token_path, ec) || !fs::is_regular_file(d / kKeysFile, ec))
    throw UnknownKeys("key " + c.key_id + ": no such keys on this server (upload them again)");
  const auto stored = io::read_file_bytes(token_path.string(), 64);
  const auto presented = token_hash(c.token);
  if (stored.size() != presented.size() || sodium_memcmp(stored.data(), presented.data(), presented.size()) != 0)
    throw AccessDenied("key " + c.key_id + ": wrong access token");
  return (d / kKeysFile).string();
}

void KeyStore::remove(const Credentials& c) {
  const fs::path file(authorize(c));
  std::error_code ec;
  fs::remove_all(file.parent_path(), ec);
  if (ec) throw IoError("key " + c.key_id + ": cannot remove (" + ec.message() + ")");
}

}  // namespace hepex::service
