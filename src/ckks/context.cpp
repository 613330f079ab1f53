#include "ckks/context.hpp"

#include "ckks/galois.hpp"

namespace hepex::ckks {
namespace {

// floor(M/2) mod r for the odd product M of `factors`: (M mod r - 1) * 2^{-1} mod r.
u64 half_product_mod(const std::vector<Modulus>& moduli, const std::vector<std::size_t>& factors, const Modulus& r) {
  u64 m = 1;
  for (std::size_t f : factors) m = mul_mod(m, reduce_u64(moduli[f].value, r), r);
  return mul_mod(sub_mod(m, 1, r.value), inv_mod(2, r.value), r);
}

RnsBase base_of(const std::vector<Modulus>& moduli, const std::vector<std::size_t>& indices) {
  std::vector<u64> values;
  values.reserve(indices.size());
  for (std::size_t g : indices) values.push_back(moduli[g].value);
  return RnsBase(std::move(values));
}

}  // namespace

CkksContext::CkksContext(const CkksParameters& params) : params_(params), fft_(params.n()) {
  const std::size_t n = params_.n(), top = params_.max_level(), k = params_.special_count();
  for (u64 q : params_.data_moduli()) moduli_.emplace_back(q);
  for (u64 p : params_.special_moduli()) moduli_.emplace_back(p);
  ntt_.reserve(moduli_.size());
  for (const Modulus& q : moduli_) ntt_.emplace_back(n, q);
  for (std::size_t g = 0; g < moduli_.size(); ++g) all_primes_.push_back(g);

  std::vector<std::size_t> special_idx;
  for (std::size_t j = 0; j < k; ++j) special_idx.push_back(top + 1 + j);
  const RnsBase special_base = base_of(moduli_, special_idx);

  // P^{-1} mod q_i.
  for (std::size_t i = 0; i <= top; ++i) {
    const Modulus& q = moduli_[i];
    u64 p_mod = 1;
    for (std::size_t j : special_idx) p_mod = mul_mod(p_mod, reduce_u64(moduli_[j].value, q), q);
    p_inv_.push_back(inv_mod(p_mod, q.value));
    p_inv_shoup_.push_back(shoup_precompute(p_inv_.back(), q.value));
  }
  // floor(P/2) = (P - 1)/2 (P odd) mod r = (P mod r - 1) * 2^{-1} mod r.
  for (const Modulus& r : moduli_) {
    u64 p_mod = 1;
    for (std::size_t j : special_idx) p_mod = mul_mod(p_mod, reduce_u64(moduli_[j].value, r), r);
    half_p_.push_back(mul_mod(sub_mod(p_mod, 1, r.value), inv_mod(2, r.value), r));
  }

  levels_.reserve(top + 1);
  for (std::size_t l = 0; l <= top; ++l) {
    std::vector<std::size_t> primes;
    for (std::size_t i = 0; i <= l; ++i) primes.push_back(i);
    std::vector<std::size_t> ext = primes;
    ext.insert(ext.end(), special_idx.begin(), special_idx.end());
    std::vector<Modulus> mods(moduli_.begin(), moduli_.begin() + static_cast<std::ptrdiff_t>(l + 1));

    std::vector<BaseConverter> modup;
    std::vector<std::vector<u64>> half_from, half_to;
    for (std::size_t d = 0; d < params_.digit_count(l); ++d) {
      const auto [first, last] = params_.digit_range(l, d);
      std::vector<std::size_t> from, to;
      for (std::size_t i = 0; i <= l; ++i) (i >= first && i < last ? from : to).push_back(i);
      to.insert(to.end(), special_idx.begin(), special_idx.end());
      modup.emplace_back(base_of(moduli_, from), base_of(moduli_, to));
      half_from.emplace_back();
      half_to.emplace_back();
      for (std::size_t g : from) half_from.back().push_back(half_product_mod(moduli_, from, moduli_[g]));
      for (std::size_t g : to) half_to.back().push_back(half_product_mod(moduli_, from, moduli_[g]));
    }
    BaseConverter moddown(special_base, base_of(moduli_, primes));

    std::vector<u64> rinv, rinv_shoup;
    for (std::size_t i = 0; i < l; ++i) {
      const Modulus& q = moduli_[i];
      rinv.push_back(inv_mod(reduce_u64(moduli_[l].value, q), q.value));
      rinv_shoup.push_back(shoup_precompute(rinv.back(), q.value));
    }
    CrtComposer composer(base_of(moduli_, primes));
    levels_.push_back(Level{std::move(primes), std::move(ext), std::move(mods), std::move(modup), std::move(half_from),
                            std::move(half_to), std::move(moddown),
                            std::move(rinv), std::move(rinv_shoup), std::move(composer)});
  }
}

std::vector<Modulus> CkksContext::special_moduli() const {
  return std::vector<Modulus>(moduli_.begin() + static_cast<std::ptrdiff_t>(max_level() + 1), moduli_.end());
}

std::shared_ptr<const std::vector<std::uint32_t>> CkksContext::galois_permutation(u64 g) const {
  {
    std::lock_guard<std::mutex> lock(galois_mutex_);
    auto it = galois_cache_.find(g);
    if (it != galois_cache_.end()) return it->second;
  }
  // Built outside the lock (it is the slow part); a concurrent duplicate is harmless, the first one wins.
  auto perm = std::make_shared<const std::vector<std::uint32_t>>(galois_permutation_ntt(n(), g));
  std::lock_guard<std::mutex> lock(galois_mutex_);
  return galois_cache_.emplace(g, std::move(perm)).first->second;
}

}  // namespace hepex::ckks
