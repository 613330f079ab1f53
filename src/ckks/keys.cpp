#include "ckks/keys.hpp"

#include <algorithm>
#include <mutex>
#include <optional>
#include <string>

#include "ckks/polyarith.hpp"
#include "util/error.hpp"
#include "util/hash.hpp"
#include "util/parallel.hpp"

namespace hepex::ckks {
namespace {

void check_full(const CkksContext& ctx, const RnsPoly& p, const std::vector<std::size_t>& primes,
                const std::string& what) {
  check_poly_shape(ctx, p, primes.size(), what);
  check_poly_residues(ctx, p, primes, what);
}

}  // namespace

SecretKey::SecretKey(const CkksContext& ctx, RnsPoly s_ntt) : s_(std::move(s_ntt)), param_hash_(ctx.param_hash()) {
  check_full(ctx, s_, ctx.all_primes(), "secret key");
}

SecretKey::~SecretKey() { s_.wipe(); }

SecretKey& SecretKey::operator=(const SecretKey& other) {
  if (this != &other) {
    s_.wipe();
    s_ = other.s_;
    param_hash_ = other.param_hash_;
  }
  return *this;
}

SecretKey& SecretKey::operator=(SecretKey&& other) {
  if (this != &other) {
    s_.wipe();
    s_ = std::move(other.s_);
    param_hash_ = other.param_hash_;
  }
  return *this;
}

io::KeyId key_set_id(const PublicKey& pk) {
  Blake2b<sizeof(io::KeyId)> h;
  static const char kContext[] = "hepex key set";
  h.update(kContext, sizeof kContext);
  const std::uint64_t param_hash = pk.param_hash();
  h.update(&param_hash, sizeof param_hash);
  h.update(pk.b().data(), pk.b().size() * sizeof(u64));
  h.update(pk.a().data(), pk.a().size() * sizeof(u64));
  return h.finish();
}

PublicKey::PublicKey(const CkksContext& ctx, RnsPoly b, RnsPoly a, std::optional<Seed> a_seed)
    : b_(std::move(b)), a_(std::move(a)), a_seed_(a_seed), param_hash_(ctx.param_hash()) {
  const auto& primes = ctx.all_primes();
  check_full(ctx, b_, primes, "public key b");
  check_full(ctx, a_, primes, "public key a");
  if (a_seed_ && expand_uniform(ctx, *a_seed_, primes, 1)[0] != a_)
    throw InvalidArgument("public key: a does not match its seed");
}

PublicKey PublicKey::from_seeded(const CkksContext& ctx, RnsPoly b, const Seed& a_seed) {
  auto a = expand_uniform(ctx, a_seed, ctx.all_primes(), 1);
  return PublicKey(ctx, std::move(b), std::move(a[0]), a_seed);
}

namespace {

// The digits of a key below digit_count(top), each with limbs 0..top and the special limbs.
std::vector<RnsPoly> trim_digits(const CkksContext& ctx, const std::vector<RnsPoly>& polys, std::size_t from_top,
                                 std::size_t top) {
  const std::size_t n = ctx.n(), special = ctx.params().special_moduli().size();
  std::vector<RnsPoly> out;
  for (std::size_t d = 0; d < ctx.params().digit_count(top); ++d) {
    RnsPoly p = RnsPoly::uninitialized(n, top + 1 + special);
    std::copy_n(polys[d].data(), (top + 1) * n, p.data());
    std::copy_n(polys[d].limb(from_top + 1), special * n, p.limb(top + 1));
    out.push_back(std::move(p));
  }
  return out;
}

// `top_level` (default: the top of the chain), refused above the parameters' top level.
std::size_t checked_top_level(const CkksContext& ctx, std::optional<std::size_t> top_level) {
  const std::size_t top = top_level.value_or(ctx.max_level());
  if (top > ctx.max_level())
    throw MismatchError("key-switching key: kept up to level " + std::to_string(top) +
                        ", above the parameters' top level " + std::to_string(ctx.max_level()));
  return top;
}

}  // namespace

KeySwitchKey::KeySwitchKey(const CkksContext& ctx, std::vector<RnsPoly> b, std::vector<RnsPoly> a,
                           std::optional<Seed> a_seed, std::optional<std::size_t> top_level)
    : b_(std::move(b)), a_(std::move(a)), a_seed_(a_seed), param_hash_(ctx.param_hash()),
      top_level_(checked_top_level(ctx, top_level)) {
  special_shift_ = ctx.max_level() - top_level_;
  const std::size_t digits = ctx.params().digit_count(top_level_);
  if (b_.size() != digits || a_.size() != digits)
    throw MismatchError("key-switching key: has " + std::to_string(b_.size()) + "/" + std::to_string(a_.size()) +
                        " digits, a key kept up to level " + std::to_string(top_level_) + " has " +
                        std::to_string(digits) + " (dnum = " + std::to_string(ctx.params().dnum()) + ")");
  const auto& primes = ctx.ext_primes(top_level_);
  for (std::size_t d = 0; d < digits; ++d) {
    check_full(ctx, b_[d], primes, "key-switching key b[" + std::to_string(d) + "]");
    check_full(ctx, a_[d], primes, "key-switching key a[" + std::to_string(d) + "]");
  }
  if (a_seed_) {
    const auto full = expand_uniform(ctx, *a_seed_, ctx.all_primes(), ctx.params().dnum());
    if (trim_digits(ctx, full, ctx.max_level(), top_level_) != a_)
      throw InvalidArgument("key-switching key: a does not match its seed");
  }
}

KeySwitchKey KeySwitchKey::from_seeded(const CkksContext& ctx, std::vector<RnsPoly> b, const Seed& a_seed,
                                       std::optional<std::size_t> top_level) {
  const std::size_t top = checked_top_level(ctx, top_level);
  auto a = trim_digits(ctx, expand_uniform(ctx, a_seed, ctx.all_primes(), ctx.params().dnum()), ctx.max_level(), top);
  // `a` is the seed's by construction: validated for shape and residues, not expanded a second time to compare.
  KeySwitchKey key(ctx, std::move(b), std::move(a), std::nullopt, top);
  key.a_seed_ = a_seed;
  return key;
}

const RnsPoly& KeySwitchKey::b(std::size_t d) const {
  if (packed_) throw InvalidArgument("key-switching key: packed for key switching, its polynomials are not kept");
  return b_.at(d);
}

const RnsPoly& KeySwitchKey::a(std::size_t d) const {
  if (packed_) throw InvalidArgument("key-switching key: packed for key switching, its polynomials are not kept");
  return a_.at(d);
}

KeySwitchKey::LimbWords KeySwitchKey::words(std::size_t d, std::size_t g) const {
  const std::size_t k = limb_of(g);
  if (!packed_) return {b_[d].limb(k), a_[d].limb(k), nullptr, nullptr};
  const Packed& p = *packed_;
  const std::size_t b_at = p.offset[k] + 2 * d * p.n, a_at = b_at + p.n;
  if (p.narrow[k]) return {nullptr, nullptr, p.words32.data() + b_at, p.words32.data() + a_at};
  return {p.words64.data() + b_at, p.words64.data() + a_at, nullptr, nullptr};
}

KeySwitchKey KeySwitchKey::packed(const CkksContext& ctx) const {
  if (packed_) return *this;
  if (ctx.param_hash() != param_hash_) throw MismatchError("key-switching key: packed with other parameters");
  auto p = std::make_shared<Packed>();
  p->digits = b_.size();
  p->n = ctx.n();
  const auto& primes = ctx.ext_primes(top_level_);  // the key's limbs in order
  std::size_t words32 = 0, words64 = 0;
  for (std::size_t k = 0; k < primes.size(); ++k) {
    const bool narrow = takes_narrow_kernels(ctx.modulus(primes[k]).value);
    p->narrow.push_back(narrow);
    p->offset.push_back(narrow ? words32 : words64);
    (narrow ? words32 : words64) += 2 * p->digits * p->n;
  }
  p->words32.resize(words32);
  p->words64.resize(words64);
  for (std::size_t k = 0; k < primes.size(); ++k)
    for (std::size_t d = 0; d < p->digits; ++d)
      for (std::size_t part = 0; part < 2; ++part) {
        const u64* src = (part == 0 ? b_ : a_)[d].limb(k);
        const std::size_t at = p->offset[k] + (2 * d + part) * p->n;
        if (p->narrow[k]) std::copy_n(src, p->n, p->words32.begin() + static_cast<std::ptrdiff_t>(at));
        else std::copy_n(src, p->n, p->words64.begin() + static_cast<std::ptrdiff_t>(at));
      }
  KeySwitchKey key;
  key.packed_ = std::move(p);
  key.a_seed_ = a_seed_;
  key.param_hash_ = param_hash_;
  key.top_level_ = top_level_;
  key.special_shift_ = special_shift_;
  return key;
}

std::size_t KeySwitchKey::byte_size() const {
  if (packed_) return packed_->words32.size() * sizeof(std::uint32_t) + packed_->words64.size() * sizeof(u64);
  std::size_t words = 0;
  for (std::size_t d = 0; d < b_.size(); ++d) words += b_[d].size() + a_[d].size();
  return words * sizeof(u64);
}

KeySwitchKey KeySwitchKey::trimmed(const CkksContext& ctx, std::size_t top) const {
  if (packed_) throw InvalidArgument("key-switching key: packed for key switching, it cannot be trimmed");
  if (top > top_level_)
    throw InvalidArgument("key-switching key: cannot trim a key kept up to level " + std::to_string(top_level_) +
                          " to level " + std::to_string(top));
  KeySwitchKey k;
  k.b_ = trim_digits(ctx, b_, top_level_, top);
  k.a_ = trim_digits(ctx, a_, top_level_, top);
  k.a_seed_ = a_seed_;
  k.param_hash_ = param_hash_;
  k.top_level_ = top;
  k.special_shift_ = ctx.max_level() - top;
  return k;
}

struct GaloisKeys::OnDemand {
  std::map<std::uint64_t, std::size_t> tops;
  Loader load;
  std::mutex mu;  // guards held, whole and decoded
  std::map<std::uint64_t, KeySwitchKey> held;   // as hold_only asked (maybe trimmed)
  std::map<std::uint64_t, KeySwitchKey> whole;  // decoded by at() above the held key's level
  std::size_t decoded = 0;

  // A key decoded up to `top`, checked against what was asked for.
  KeySwitchKey decode(std::uint64_t g, std::size_t top, std::uint64_t param_hash) const {
    KeySwitchKey key = load(g, top);
    if (key.param_hash() != param_hash || key.top_level() != top)
      throw MismatchError("Galois keys: the key decoded for element " + std::to_string(g) +
                          " is not the one asked for (other parameters or top level)");
    return key;
  }
};

GaloisKeys::GaloisKeys(std::uint64_t param_hash, std::map<std::uint64_t, std::size_t> tops, Loader load)
    : demand_(std::make_shared<OnDemand>()), param_hash_(param_hash) {
  if (!load) throw InvalidArgument("Galois keys on demand: no loader");
  demand_->tops = std::move(tops);
  demand_->load = std::move(load);
}

void GaloisKeys::insert(std::uint64_t galois_element, KeySwitchKey key) {
  if (demand_) throw InvalidArgument("Galois keys on demand: keys are loaded, not inserted");
  if (key.param_hash() != param_hash_)
    throw MismatchError("Galois keys: key for element " + std::to_string(galois_element) +
                        " belongs to other parameters");
  keys_[galois_element] = std::move(key);
}

bool GaloisKeys::contains(std::uint64_t galois_element) const {
  return demand_ ? demand_->tops.count(galois_element) != 0 : keys_.count(galois_element) != 0;
}

namespace {
[[noreturn]] void no_key(std::uint64_t galois_element) {
  throw InvalidArgument("Galois keys: no key for Galois element " + std::to_string(galois_element));
}
}  // namespace

std::size_t GaloisKeys::top_level(std::uint64_t galois_element) const {
  if (!contains(galois_element)) no_key(galois_element);
  return demand_ ? demand_->tops.at(galois_element) : keys_.at(galois_element).top_level();
}

const std::map<std::uint64_t, KeySwitchKey>& GaloisKeys::keys() const {
  if (demand_) throw InvalidArgument("Galois keys on demand: only some keys are held, they cannot be listed");
  return keys_;
}

GaloisKeys GaloisKeys::packed(const CkksContext& ctx) const {
  if (demand_) throw InvalidArgument("Galois keys on demand: their loader decides the form");
  GaloisKeys out(param_hash_);
  for (const auto& [g, key] : keys_) out.keys_[g] = key.packed(ctx);
  return out;
}

const KeySwitchKey& GaloisKeys::at(std::uint64_t galois_element) const {
  if (!demand_) {
    auto it = keys_.find(galois_element);
    if (it == keys_.end()) no_key(galois_element);
    return it->second;
  }
  return at(galois_element, top_level(galois_element));
}

const KeySwitchKey& GaloisKeys::at(std::uint64_t galois_element, std::size_t level) const {
  if (!demand_) return at(galois_element);
  const std::size_t top = top_level(galois_element);
  // Decoded under the lock: a key asked for by several threads at once is decoded once. A key held below
  // `level` is not replaced (another thread may be switching with it) but joined by the whole key. (A
  // std::map keeps references to its other elements valid when one is added.)
  std::lock_guard<std::mutex> lock(demand_->mu);
  auto it = demand_->held.find(galois_element);
  if (it != demand_->held.end() && it->second.top_level() >= level) return it->second;
  auto full = demand_->whole.find(galois_element);
  if (full != demand_->whole.end()) return full->second;
  KeySwitchKey key = demand_->decode(galois_element, top, param_hash_);
  ++demand_->decoded;
  auto& into = it == demand_->held.end() ? demand_->held : demand_->whole;
  return into.emplace(galois_element, std::move(key)).first->second;
}

void GaloisKeys::hold_only(std::span<const Use> uses) const {
  if (!demand_) throw InvalidArgument("Galois keys: hold_only needs keys on demand");
  std::map<std::uint64_t, std::size_t> level;  // per element, the highest use
  for (const Use& u : uses) {
    if (u.level > top_level(u.element))
      throw InvalidArgument("Galois keys: the key for element " + std::to_string(u.element) + " is kept up to level " +
                            std::to_string(top_level(u.element)) + ", not " + std::to_string(u.level));
    auto [at, fresh] = level.try_emplace(u.element, u.level);
    if (!fresh) at->second = std::max(at->second, u.level);
  }
  std::lock_guard<std::mutex> lock(demand_->mu);
  std::map<std::uint64_t, KeySwitchKey> keep;
  std::vector<Use> missing;
  for (const auto& [g, needed] : level) {
    auto it = demand_->held.find(g);
    // A key held up to another level is decoded again: above, it would hold more than this layer needs.
    if (it != demand_->held.end() && it->second.top_level() == needed) keep.emplace(g, std::move(it->second));
    else missing.push_back({g, needed});
  }
  demand_->held.clear();  // the others go before the new ones are decoded
  demand_->whole.clear();
  std::vector<std::optional<KeySwitchKey>> loaded(missing.size());
  parallel_for(missing.size(), [&](std::size_t i) {
    loaded[i] = demand_->decode(missing[i].element, missing[i].level, param_hash_);
  });
  for (std::size_t i = 0; i < missing.size(); ++i) keep.emplace(missing[i].element, std::move(*loaded[i]));
  demand_->decoded += missing.size();
  demand_->held = std::move(keep);
}

std::size_t GaloisKeys::decoded() const {
  if (!demand_) return 0;
  std::lock_guard<std::mutex> lock(demand_->mu);
  return demand_->decoded;
}

std::size_t GaloisKeys::held_bytes() const {
  std::size_t bytes = 0;
  if (!demand_) {
    for (const auto& [g, key] : keys_) bytes += key.byte_size();
    return bytes;
  }
  std::lock_guard<std::mutex> lock(demand_->mu);
  for (const auto* held : {&demand_->held, &demand_->whole})
    for (const auto& [g, key] : *held) bytes += key.byte_size();
  return bytes;
}

}  // namespace hepex::ckks
