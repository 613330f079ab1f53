#pragma once
// CkksContext: every precomputation that depends only on the parameters, built once and shared
// (std::shared_ptr<const CkksContext>) by encoder, encryptor, decryptor, key generator and evaluator.
//
// Prime indexing ("global" indices): data primes q_0..q_L are 0..L, special primes p_0..p_{K-1} are
// L+1..L+K. Key-switching keys and secret keys are stored over all L+1+K primes in this order; a
// ciphertext at level l has limbs for primes 0..l; an extended (Q_l * P) polynomial has limbs for
// 0..l followed by the K special primes (ext_primes(l)).
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "ckks/fft.hpp"
#include "ckks/ntt.hpp"
#include "ckks/params.hpp"
#include "ckks/rns.hpp"

namespace hepex::ckks {

class CkksContext {
 public:
  static std::shared_ptr<const CkksContext> create(const CkksParameters& params) {
    return std::make_shared<const CkksContext>(params);
  }
  explicit CkksContext(const CkksParameters& params);
  CkksContext(const CkksContext&) = delete;
  CkksContext& operator=(const CkksContext&) = delete;

  const CkksParameters& params() const { return params_; }
  std::size_t n() const { return params_.n(); }
  std::size_t max_level() const { return params_.max_level(); }
  std::size_t special_count() const { return params_.special_count(); }
  std::size_t prime_count() const { return moduli_.size(); }  // L+1+K
  std::uint64_t param_hash() const { return params_.hash(); }

  const Modulus& modulus(std::size_t global) const { return moduli_[global]; }
  const NttTables& ntt(std::size_t global) const { return ntt_[global]; }

  // Global prime indices of a level's ciphertext limbs, of its extended (Q_l * P) limbs, and of all primes.
  const std::vector<std::size_t>& level_primes(std::size_t level) const { return levels_[level].primes; }
  const std::vector<std::size_t>& ext_primes(std::size_t level) const { return levels_[level].ext_primes; }
  const std::vector<std::size_t>& all_primes() const { return all_primes_; }
  // The same as Modulus lists (for the samplers).
  const std::vector<Modulus>& level_moduli(std::size_t level) const { return levels_[level].moduli; }
  const std::vector<Modulus>& all_moduli() const { return moduli_; }
  std::vector<Modulus> special_moduli() const;

  // ModUp of digit d at `level`: from the digit's primes to the level's other data primes (in increasing
  // order) followed by the special primes.
  const BaseConverter& modup(std::size_t level, std::size_t digit) const { return levels_[level].modup[digit]; }
  // floor(Q_d/2) modulo the converter's source and target primes: ModUp converts the centered digit
  // (adds it before, subtracts it after), which keeps key-switching noise zero-mean.
  const std::vector<u64>& modup_half_from(std::size_t level, std::size_t digit) const {
    return levels_[level].modup_half_from[digit];
  }
  const std::vector<u64>& modup_half_to(std::size_t level, std::size_t digit) const {
    return levels_[level].modup_half_to[digit];
  }
  // ModDown at `level`: from the special primes to data primes 0..level.
  const BaseConverter& moddown(std::size_t level) const { return levels_[level].moddown; }
  // P^{-1} mod q_i (i <= L) with Shoup companions.
  const std::vector<u64>& p_inv() const { return p_inv_; }
  const std::vector<u64>& p_inv_shoup() const { return p_inv_shoup_; }
  // floor(P/2) mod every prime (global index): ModDown adds it so that it rounds instead of flooring.
  const std::vector<u64>& half_p() const { return half_p_; }
  // q_level^{-1} mod q_i for i < level, with Shoup companions (rescaling from `level`).
  const std::vector<u64>& rescale_inv(std::size_t level) const { return levels_[level].rescale_inv; }
  const std::vector<u64>& rescale_inv_shoup(std::size_t level) const { return levels_[level].rescale_inv_shoup; }
  // Exact CRT to double over primes 0..level (decoding).
  const CrtComposer& composer(std::size_t level) const { return levels_[level].composer; }

  const SpecialFft& fft() const { return fft_; }

  // NTT-domain permutation of the automorphism X -> X^g, built on first use and cached (thread-safe).
  std::shared_ptr<const std::vector<std::uint32_t>> galois_permutation(u64 g) const;

 private:
  struct Level {
    std::vector<std::size_t> primes, ext_primes;
    std::vector<Modulus> moduli;
    std::vector<BaseConverter> modup;
    std::vector<std::vector<u64>> modup_half_from, modup_half_to;
    BaseConverter moddown;
    std::vector<u64> rescale_inv, rescale_inv_shoup;
    CrtComposer composer;
  };

  CkksParameters params_;
  std::vector<Modulus> moduli_;
  std::vector<NttTables> ntt_;
  std::vector<std::size_t> all_primes_;
  std::vector<Level> levels_;
  std::vector<u64> p_inv_, p_inv_shoup_, half_p_;
  SpecialFft fft_;
  mutable std::mutex galois_mutex_;
  mutable std::map<u64, std::shared_ptr<const std::vector<std::uint32_t>>> galois_cache_;
};

}  // namespace hepex::ckks
