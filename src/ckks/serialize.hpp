#pragma once
// Binary files of the CKKS engine (layouts in docs/FORMATS.md), written and read through io/binary.hpp.
//
// Every file starts with the hepex header (magic, format version, object type, parameter hash). Loaders
// take the parameters the caller expects (a CkksContext) and refuse, with FormatError naming the file:
// a file made for other parameters, a wrong object type, a bad magic or version, any length, count, level,
// slot count, scale or Galois element out of range, any coefficient word not below its modulus, a
// truncated file and trailing bytes. Everything is checked before it is used.
//
// Seeded compression: a secret-key ciphertext, the public key and key-switching keys keep the 32-byte seed
// their uniform `a` part was expanded from (expand_uniform in polyarith.hpp); with SaveOptions::use_seeds
// the file stores that seed instead of the polynomial (about half the size) and the loader regenerates it.
//
// The secret key has its own file type and no other object ever contains it; its file is created 0600.
//
// Key sets: the header of every key and ciphertext carries the key set's identity (key_set_id in
// keys.hpp, given through SaveOptions::key_id); loaders hand the header back (`header` out-parameter) so
// that callers can refuse objects of another key set. Files end with an integrity digest (io/binary.hpp);
// the parse_* functions read byte strings without it, the load_* functions check and remove it.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ckks/ciphertext.hpp"
#include "ckks/context.hpp"
#include "ckks/keys.hpp"
#include "ckks/params.hpp"
#include "ckks/plaintext.hpp"

namespace hepex::ckks {

struct SaveOptions {
  // Store the seed instead of a uniform polynomial when the object still has it.
  bool use_seeds = true;
  // Key set written into the header (zero: none).
  io::KeyId key_id{};
};

using Bytes = std::vector<std::uint8_t>;

// --- to bytes ---
Bytes to_bytes(const CkksParameters& params);
Bytes to_bytes(const SecretKey& sk, const io::KeyId& key_id = {});
Bytes to_bytes(const PublicKey& pk, SaveOptions opts = {});
Bytes to_bytes(const RelinKey& rk, SaveOptions opts = {});
Bytes to_bytes(const GaloisKeys& gk, SaveOptions opts = {});
Bytes to_bytes(const Plaintext& pt);
Bytes to_bytes(const Ciphertext& ct, SaveOptions opts = {});
// A batch of ciphertexts (the encrypted inputs or outputs of one inference) in one file.
Bytes to_bytes(std::span<const Ciphertext> batch, SaveOptions opts = {});

// --- to files (atomic: temporary file + rename) ---
void save(const std::string& path, const CkksParameters& params);
void save(const std::string& path, const SecretKey& sk, const io::KeyId& key_id = {});
void save(const std::string& path, const PublicKey& pk, SaveOptions opts = {});
void save(const std::string& path, const RelinKey& rk, SaveOptions opts = {});
void save(const std::string& path, const GaloisKeys& gk, SaveOptions opts = {});
void save(const std::string& path, const Plaintext& pt);
void save(const std::string& path, const Ciphertext& ct, SaveOptions opts = {});
void save(const std::string& path, std::span<const Ciphertext> batch, SaveOptions opts = {});

// --- from bytes; `name` (a file name) prefixes every error message ---
// Parameters are rebuilt through the validating CkksParameters constructor (primes, dnum, security); a file
// that marks itself insecure is refused (SecurityError) unless `allow_insecure` (tests only).
// `header`, when given, receives the object's header (its key set id in particular).
CkksParameters parse_parameters(Bytes bytes, const std::string& name, bool allow_insecure = false);
SecretKey parse_secret_key(const CkksContext& ctx, Bytes bytes, const std::string& name, io::Header* header = nullptr);
PublicKey parse_public_key(const CkksContext& ctx, Bytes bytes, const std::string& name, io::Header* header = nullptr);
// How parsed key-switching keys are held: whole, or packed for key switching as each is read
// (KeySwitchKey::packed, a server's form: the whole form of every key is never in memory at once).
enum class KeyForm { kWhole, kPackedForSwitching };
RelinKey parse_relin_key(const CkksContext& ctx, Bytes bytes, const std::string& name, io::Header* header = nullptr,
                         KeyForm form = KeyForm::kWhole);
// The same over any reader (e.g. a part of a file read from disk, io::BinaryReader::read_part).
RelinKey read_relin_key(const CkksContext& ctx, io::BinaryReader in, io::Header* header = nullptr,
                        KeyForm form = KeyForm::kWhole);
GaloisKeys parse_galois_keys(const CkksContext& ctx, Bytes bytes, const std::string& name, io::Header* header = nullptr,
                             KeyForm form = KeyForm::kWhole);
// The same over any reader (every key decoded at once; GaloisKeyReader decodes them as asked).
GaloisKeys read_galois_keys(const CkksContext& ctx, io::BinaryReader in, io::Header* header = nullptr,
                            KeyForm form = KeyForm::kWhole);
Plaintext parse_plaintext(const CkksContext& ctx, Bytes bytes, const std::string& name, io::Header* header = nullptr);
Ciphertext parse_ciphertext(const CkksContext& ctx, Bytes bytes, const std::string& name, io::Header* header = nullptr);
std::vector<Ciphertext> parse_ciphertext_batch(const CkksContext& ctx, Bytes bytes, const std::string& name,
                                               io::Header* header = nullptr);

// The ciphertexts of a batch's bytes one at a time, with parse_ciphertext_batch's checks (each ciphertext
// checked as it is read): for a caller that must not hold them all expanded at once (a server's first layer
// takes its inputs part by part). `header` (if given) receives the batch's header at construction.
class CiphertextBatchParser {
 public:
  CiphertextBatchParser(const CkksContext& ctx, Bytes bytes, const std::string& name, io::Header* header = nullptr);
  // The same over any reader, e.g. io::open_hepex_file's, which reads the file from disk part by part (so a
  // server holds neither the ciphertexts nor their file bytes all at once). Errors name the reader's name.
  CiphertextBatchParser(const CkksContext& ctx, io::BinaryReader in, io::Header* header = nullptr);
  CiphertextBatchParser(CiphertextBatchParser&&) noexcept;
  ~CiphertextBatchParser();
  std::size_t count() const { return count_; }
  std::size_t parsed() const { return parsed_; }  // index of the next ciphertext
  // The next ciphertext; FormatError naming the file when the bytes are bad or all were read.
  Ciphertext next();
  // The next `count` ciphertexts, checked as next() checks them, decoded in parallel (OpenMP threads).
  std::vector<Ciphertext> next_many(std::size_t count);
  // Back to the first ciphertext (to read them again).
  void rewind();
  // FormatError unless every ciphertext was read and no bytes follow them.
  void finish();

 private:
  struct Reader;
  std::unique_ptr<Reader> reader_;
  std::size_t count_ = 0, parsed_ = 0, first_at_ = 0;
};

// The Galois keys of parse_galois_keys' format indexed, not decoded: every key's framing is read and
// checked at construction (elements odd, increasing and below 2N; digits, top level, where the words lie;
// nothing after the last key), a key's words decoded and checked when load() asks for it. Over a file's
// reader (io::open_hepex_file) a server holds no key it does not use (GaloisKeys on demand).
class GaloisKeyReader {
 public:
  GaloisKeyReader(const CkksContext& ctx, io::BinaryReader in, io::Header* header = nullptr);
  GaloisKeyReader(GaloisKeyReader&&) noexcept;
  ~GaloisKeyReader();
  // Every key's Galois element and the highest level it switches at.
  const std::map<std::uint64_t, std::size_t>& tops() const;
  // One key, checked as parse_galois_keys checks it (FormatError naming the reader), kept up to level `top`
  // (default: its own top level; trimmed below it, KeySwitchKey::trimmed); safe from several threads at once.
  KeySwitchKey load(std::uint64_t galois_element, KeyForm form = KeyForm::kWhole,
                    std::optional<std::size_t> top = std::nullopt) const;

 private:
  struct Index;
  std::unique_ptr<Index> index_;
};

// A ciphertext batch written one ciphertext at a time: the bytes to_bytes(batch, opts) gives for the same
// ciphertexts, without holding them all (a client encrypts and writes its inputs part by part).
class CiphertextBatchWriter {
 public:
  // `count` ciphertexts of the context's parameters will follow (at least one).
  CiphertextBatchWriter(const CkksContext& ctx, std::size_t count, SaveOptions opts = {});
  // Room for `body_bytes` of ciphertexts (batch_body_size of each) and the trailer io::seal appends, so the
  // bytes are never regrown or copied on the way to a file.
  void reserve(std::size_t body_bytes);
  // MismatchError for a ciphertext of other parameters, InvalidArgument after `count`.
  void add(const Ciphertext& ct);
  // The batch's bytes (InvalidArgument unless `count` were added); the writer is empty afterwards.
  Bytes finish();

 private:
  io::BinaryWriter w_;
  std::uint64_t param_hash_ = 0;
  std::size_t count_ = 0, added_ = 0;
  SaveOptions opts_;
};

// --- from files (integrity digest checked first) ---
CkksParameters load_parameters(const std::string& path, bool allow_insecure = false);
SecretKey load_secret_key(const CkksContext& ctx, const std::string& path, io::Header* header = nullptr);
PublicKey load_public_key(const CkksContext& ctx, const std::string& path, io::Header* header = nullptr);
RelinKey load_relin_key(const CkksContext& ctx, const std::string& path, io::Header* header = nullptr);
GaloisKeys load_galois_keys(const CkksContext& ctx, const std::string& path, io::Header* header = nullptr);
Plaintext load_plaintext(const CkksContext& ctx, const std::string& path, io::Header* header = nullptr);
Ciphertext load_ciphertext(const CkksContext& ctx, const std::string& path, io::Header* header = nullptr);
std::vector<Ciphertext> load_ciphertext_batch(const CkksContext& ctx, const std::string& path,
                                              io::Header* header = nullptr);

// --- sizes ---
// File sizes in bytes (header included) of the evaluation keys, stored seeded and expanded.
struct KeySizes {
  std::size_t public_key = 0, public_key_seeded = 0;
  std::size_t relin_key = 0, relin_key_seeded = 0;
  // A Galois-keys file holding one key (the first of the set given).
  std::size_t galois_key = 0, galois_key_seeded = 0;
};
// Throws InvalidArgument if `gk` is empty. Seeded sizes equal the expanded ones for keys without a seed.
KeySizes measure_key_sizes(const PublicKey& pk, const RelinKey& rk, const GaloisKeys& gk);
// What a batch file save(path, batch, opts) holds, counted without writing it (what a client uploads or
// downloads): kBatchFileOverhead (header, count, integrity trailer) plus each ciphertext's body.
std::size_t batch_body_size(const Ciphertext& ct, SaveOptions opts = {});
inline constexpr std::size_t kBatchFileOverhead = 40 + 8 + io::kDigestBytes;

}  // namespace hepex::ckks
