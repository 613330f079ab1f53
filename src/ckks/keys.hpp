#pragma once
// Key material. All polynomials are in NTT form.
//
// SecretKey: s (uniform ternary) over all L+1+K primes. Its own type, needed only by KeyGenerator,
// Decryptor and secret-key encryption, never by the Evaluator.
// PublicKey: (b, a) = (-a s + e, a) over all L+1+K primes (encryption works modulo Q_l * P and divides by P,
// which leaves only rounding noise, as SEAL does).
// KeySwitchKey (hybrid, dnum digits) switching from s' to s: digit d is over all L+1+K primes,
//     b_d = -a_d s + e_d + P * s' * [1 on digit d's primes, 0 on the other data primes],   a_d uniform.
// RelinKey switches from s^2; Galois keys from s(X^g), one per Galois element asked for.
//
// Seeds: the uniform a-parts are drawn from one Csprng(seed) stream (expand_uniform in polyarith.hpp), so
// a serializer may store the seed instead of them; from_seeded() regenerates them.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "ckks/context.hpp"
#include "ckks/poly.hpp"
#include "io/binary.hpp"
#include "util/csprng.hpp"

namespace hepex::ckks {

class KeyGenerator;

class SecretKey {
 public:
  SecretKey() = default;
  // Validates shape (all L+1+K primes) and residues.
  SecretKey(const CkksContext& ctx, RnsPoly s_ntt);
  // The key's words are wiped when it goes away (copies wipe their own).
  ~SecretKey();
  SecretKey(const SecretKey&) = default;
  SecretKey(SecretKey&&) = default;
  SecretKey& operator=(const SecretKey& other);
  SecretKey& operator=(SecretKey&& other);
  const RnsPoly& poly() const { return s_; }
  std::uint64_t param_hash() const { return param_hash_; }

 private:
  friend class KeyGenerator;  // builds keys it just generated without re-validating them
  RnsPoly s_;
  std::uint64_t param_hash_ = 0;
};

class PublicKey {
 public:
  PublicKey() = default;
  // Validates shapes (L+1+K limbs each) and residues; a seed, when given, must reproduce `a`.
  PublicKey(const CkksContext& ctx, RnsPoly b, RnsPoly a, std::optional<Seed> a_seed = std::nullopt);
  static PublicKey from_seeded(const CkksContext& ctx, RnsPoly b, const Seed& a_seed);

  const RnsPoly& b() const { return b_; }
  const RnsPoly& a() const { return a_; }
  const std::optional<Seed>& a_seed() const { return a_seed_; }
  std::uint64_t param_hash() const { return param_hash_; }

 private:
  friend class KeyGenerator;
  RnsPoly b_, a_;
  std::optional<Seed> a_seed_;
  std::uint64_t param_hash_ = 0;
};

class KeySwitchKey {
 public:
  KeySwitchKey() = default;
  // Validates: a key kept up to `top_level` (default: the top of the chain) has digit_count(top_level)
  // digits, each over ext_primes(top_level) (primes 0..top_level, then the special primes); residues
  // reduced; a seed must reproduce `a` (expanded over every prime and digit, then trimmed).
  KeySwitchKey(const CkksContext& ctx, std::vector<RnsPoly> b, std::vector<RnsPoly> a,
               std::optional<Seed> a_seed = std::nullopt, std::optional<std::size_t> top_level = std::nullopt);
  static KeySwitchKey from_seeded(const CkksContext& ctx, std::vector<RnsPoly> b, const Seed& a_seed,
                                  std::optional<std::size_t> top_level = std::nullopt);

  // The same key for key switching at levels <= top only: the digits and data limbs above `top` dropped
  // (the residues left are the full key's, so it switches exactly as the full key does). A key used only
  // by a network's last layers is a fraction of a full one. InvalidArgument if top > top_level().
  KeySwitchKey trimmed(const CkksContext& ctx, std::size_t top) const;

  std::size_t digits() const { return packed_ ? packed_->digits : b_.size(); }
  // The polynomials of digit d; InvalidArgument for a packed key (it no longer holds them).
  const RnsPoly& b(std::size_t d) const;
  const RnsPoly& a(std::size_t d) const;
  const std::optional<Seed>& a_seed() const { return a_seed_; }
  std::uint64_t param_hash() const { return param_hash_; }
  // The highest ciphertext level this key switches at.
  std::size_t top_level() const { return top_level_; }
  // The limb of b(d) and a(d) that holds global prime g (a prime of ext_primes(level), level <= top_level()).
  std::size_t limb_of(std::size_t g) const { return g <= top_level_ ? g : g - special_shift_; }

  // What key switching reads for digit d on global prime g: b's and a's residues as 64-bit words, or (a
  // packed key, a prime below 2^31) as 32-bit words; the other pair is null.
  struct LimbWords {
    const u64 *b64 = nullptr, *a64 = nullptr;
    const std::uint32_t *b32 = nullptr, *a32 = nullptr;
  };
  LimbWords words(std::size_t d, std::size_t g) const;

  // The same key for a server that only switches with it: the residues of primes below 2^31 as 32-bit
  // words (half the bytes the inner product streams and half the key's memory; AVX2 builds, where the
  // narrow inner product reads them), the others as 64-bit words, limb by limb; the polynomials are dropped,
  // so b(), a() and trimmed() throw. Key switching with it gives bit for bit the unpacked key's results.
  KeySwitchKey packed(const CkksContext& ctx) const;
  bool is_packed() const { return packed_ != nullptr; }
  // Bytes of residues held (both forms).
  std::size_t byte_size() const;

 private:
  friend class KeyGenerator;
  // Limb k (the key's own limb index) at offset[k] of words32 (narrow[k]) or words64, as `digits` blocks
  // of b then a, n words each.
  struct Packed {
    std::size_t digits = 0, n = 0;
    std::vector<std::uint32_t> words32;
    std::vector<u64> words64;
    std::vector<std::size_t> offset;
    std::vector<bool> narrow;
  };
  std::shared_ptr<const Packed> packed_;
  std::vector<RnsPoly> b_, a_;
  std::optional<Seed> a_seed_;
  std::uint64_t param_hash_ = 0;
  std::size_t top_level_ = 0;
  std::size_t special_shift_ = 0;  // data primes dropped above top_level_
};

// The identity of the key set a public key belongs to: BLAKE2b-128 of its parameters hash and both
// polynomials. Every file of the key set carries it (io/binary.hpp).
io::KeyId key_set_id(const PublicKey& pk);

struct RelinKey {
  KeySwitchKey key;
};

class GaloisKeys {
 public:
  // Decodes one key kept up to level `top` (at most its top level in the source: trimmed below it; e.g.
  // GaloisKeyReader::load on a file); FormatError for bad bytes.
  using Loader = std::function<KeySwitchKey(std::uint64_t galois_element, std::size_t top)>;
  // A key a layer switches with, and the highest level it switches at there.
  struct Use {
    std::uint64_t element = 0;
    std::size_t level = 0;
  };

  GaloisKeys() = default;
  explicit GaloisKeys(std::uint64_t param_hash) : param_hash_(param_hash) {}
  // Keys decoded when first asked for, for a server that holds only the keys of the layer it evaluates:
  // `tops` names every key the source holds and the highest level it switches at, `load` decodes one.
  // contains() and top_level() answer from `tops`; at() decodes a key the first time (safe from several
  // threads); hold_only() decodes a layer's keys ahead and drops the others.
  GaloisKeys(std::uint64_t param_hash, std::map<std::uint64_t, std::size_t> tops, Loader load);

  // Throws MismatchError if the key belongs to other parameters; InvalidArgument on keys on demand.
  void insert(std::uint64_t galois_element, KeySwitchKey key);
  bool contains(std::uint64_t galois_element) const;
  // The highest level the key switches at; InvalidArgument naming the element when absent.
  std::size_t top_level(std::uint64_t galois_element) const;
  // Throws InvalidArgument naming the element when absent. On demand, the reference stays valid until
  // hold_only() drops the key.
  const KeySwitchKey& at(std::uint64_t galois_element) const;
  // The same for switching at `level`: on demand, when the key held is trimmed below it, the key is decoded
  // again up to its top level (kept beside it until hold_only()).
  const KeySwitchKey& at(std::uint64_t galois_element, std::size_t level) const;
  // Every key (InvalidArgument on keys on demand, which hold only some of theirs).
  const std::map<std::uint64_t, KeySwitchKey>& keys() const;
  std::uint64_t param_hash() const { return param_hash_; }
  // Every key packed (KeySwitchKey::packed); InvalidArgument on keys on demand (their loader packs).
  GaloisKeys packed(const CkksContext& ctx) const;

  bool on_demand() const { return demand_ != nullptr; }
  // On demand: holds the keys of `uses` only, each kept up to the level it is used at (trimmed: a key used
  // by a network's last layers only is a fraction of a full one): the held keys kept up to that level stay,
  // the others are decoded (in parallel), the rest dropped (decoded again if asked for). Call it when no
  // reference at() gave is in use (a server calls it between layers). InvalidArgument for an element the
  // source does not hold or a level above its top.
  void hold_only(std::span<const Use> uses) const;
  // On demand: keys decoded so far (by at() and hold_only()), and the bytes of those held.
  std::size_t decoded() const;
  std::size_t held_bytes() const;

 private:
  struct OnDemand;
  std::map<std::uint64_t, KeySwitchKey> keys_;
  std::shared_ptr<OnDemand> demand_;  // null: every key is in keys_
  std::uint64_t param_hash_ = 0;
};

}  // namespace hepex::ckks
