#pragma once
// The server's store of clients' evaluation keys, kept across restarts.
//
// Layout: <dir>/<key id>/eval.keys   the keys as received (the bytes of an eval.keys file)
//         <dir>/<key id>/token.hash  BLAKE2b-256 of the client's access token (the token itself is never stored)
// Key ids are 16 random bytes in lower-case hex, chosen here (never by a client), and every id a request
// presents is validated (exactly 32 hex digits) before it is used in a path, so no id can leave <dir>.
// Tokens are 32 bytes from the CSPRNG; a presented token is hashed and compared with the stored hash in
// constant time (sodium_memcmp). Files are written atomically (io::write_file_atomic), mode 0600, in
// directories of mode 0700; a directory without token.hash (a crash during an upload) holds no keys.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hepex::service {

inline constexpr std::size_t kKeyIdBytes = 16, kTokenBytes = 32;

struct Credentials {
  std::string key_id;               // 32 lower-case hex digits
  std::vector<std::uint8_t> token;  // kTokenBytes
};

// True for exactly 2 * kKeyIdBytes lower-case hex digits.
bool valid_key_id(std::string_view id);

class KeyStore {
 public:
  // Creates `dir` (mode 0700) if missing; IoError if it cannot. At most `max_key_sets` key sets are kept.
  explicit KeyStore(std::string dir, std::size_t max_key_sets = 256);

  // Stores the bytes of an eval.keys file (already validated by the caller) under a fresh key id; returns
  // the id and a fresh token (the only copy of the token: the store keeps its hash). Busy when the store
  // already holds max_key_sets key sets.
  Credentials add(std::span<const std::uint8_t> eval_keys_file);
  // Key sets held (directories with a key id for a name).
  std::size_t size() const;

  // The path of the eval.keys file of these credentials. Throws InvalidArgument (malformed id or token
  // length), UnknownKeys (no such id, or an incomplete upload) or AccessDenied (wrong token).
  std::string authorize(const Credentials& c) const;

  // Removes the keys of these credentials (authorized first); for tests and operators.
  void remove(const Credentials& c);

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::size_t max_key_sets_;
};

}  // namespace hepex::service
