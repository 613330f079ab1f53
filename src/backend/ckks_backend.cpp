#include "backend/ckks_backend.hpp"

#include <cmath>
#include <mutex>
#include <string>
#include <utility>

#include "ckks/encryptor.hpp"
#include "util/error.hpp"

namespace hepex::backend {
namespace {

std::string at(const char* who, const std::string& what) { return std::string("CkksBackend::") + who + ": " + what; }

template <class Key>
void check_key_params(const ckks::CkksContext& ctx, const Key* key, std::uint64_t key_hash, const char* what) {
  if (key && key_hash != ctx.param_hash())
    throw MismatchError(std::string("CkksBackend: the ") + what + " belongs to other CKKS parameters than the context");
}

}  // namespace

SimParams sim_params_for(const ckks::CkksParameters& params) {
  SimParams sim;
  sim.ring_degree = params.n();
  for (ckks::u64 q : params.data_moduli()) sim.primes.push_back(static_cast<double>(q));
  sim.special_primes = params.special_count();
  sim.scale = params.default_scale();
  return sim;
}

struct CkksBackend::Ct final : CiphertextObject {
  explicit Ct(ckks::Ciphertext c) : value(std::move(c)) {}
  ckks::Ciphertext value;
};

// A plaintext held in full or compact (backend.hpp: compact_period); exactly one of the two is set.
struct CkksBackend::Pt final : PlaintextObject {
  explicit Pt(ckks::Plaintext p) : full(std::move(p)) {}
  explicit Pt(ckks::CompactPlaintext p) : compact(std::move(p)) {}
  bool is_compact() const { return !compact.empty(); }
  std::size_t level() const { return is_compact() ? compact.level() : full.level(); }
  double scale() const { return is_compact() ? compact.scale() : full.scale(); }
  std::size_t bytes() const { return is_compact() ? compact.byte_size() : full.poly().size() * sizeof(ckks::u64); }
  ckks::Plaintext full;
  ckks::CompactPlaintext compact;
};

// Encryptors carry a random stream, so one may not serve two threads at once: each caller takes an idle
// one (or makes a new one, OS-seeded) and gives it back, so concurrent encryptions never wait on each other.
class CkksBackend::EncryptorPool {
 public:
  EncryptorPool(std::shared_ptr<const ckks::CkksContext> ctx, const CkksKeys& keys) : ctx_(std::move(ctx)), keys_(keys) {}

  ckks::Ciphertext encrypt(const ckks::Plaintext& pt) {
    std::unique_ptr<ckks::Encryptor> encryptor = take();
    ckks::Ciphertext ct = encryptor->encrypt(pt);
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(encryptor));
    return ct;
  }

 private:
  std::unique_ptr<ckks::Encryptor> take() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        auto e = std::move(idle_.back());
        idle_.pop_back();
        return e;
      }
    }
    // The secret key when present: a secret-key encryption (c0, a) keeps the seed of its uniform part a,
    // so its file is half the size (and its noise smaller); the public key otherwise.
    if (keys_.secret) return std::make_unique<ckks::Encryptor>(ctx_, *keys_.secret);
    return std::make_unique<ckks::Encryptor>(ctx_, *keys_.pub);
  }

  std::shared_ptr<const ckks::CkksContext> ctx_;
  CkksKeys keys_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<ckks::Encryptor>> idle_;
};

CkksBackend::CkksBackend(std::shared_ptr<const ckks::CkksContext> ctx, CkksKeys keys)
    : ctx_(ctx ? std::move(ctx) : throw InvalidArgument("CkksBackend: no CKKS context given")),
      keys_(std::move(keys)),
      encoder_(ctx_),
      evaluator_(ctx_) {
  const ckks::CkksContext& c = *ctx_;
  check_key_params(c, keys_.secret.get(), keys_.secret ? keys_.secret->param_hash() : 0, "secret key");
  check_key_params(c, keys_.pub.get(), keys_.pub ? keys_.pub->param_hash() : 0, "public key");
  check_key_params(c, keys_.relin.get(), keys_.relin ? keys_.relin->key.param_hash() : 0, "relinearization key");
  check_key_params(c, keys_.galois.get(), keys_.galois ? keys_.galois->param_hash() : 0, "Galois key set");
  if (keys_.secret) decryptor_ = std::make_unique<const ckks::Decryptor>(ctx_, *keys_.secret);
  if (can_encrypt()) encryptors_ = std::make_unique<EncryptorPool>(ctx_, keys_);
  double sum = 0;
  for (std::size_t l = 0; l <= c.max_level(); ++l)
    log2_modulus_prefix_.push_back(sum += std::log2(static_cast<double>(c.modulus(l).value)));
}

CkksBackend::~CkksBackend() = default;

// ------------------------------------------------------------------------------------------ handles

const ckks::Ciphertext& CkksBackend::ct_of(const Ciphertext& c, const char* who) const {
  return c.as<Ct>((std::string("CkksBackend::") + who).c_str()).value;
}
const CkksBackend::Pt& CkksBackend::pt_of(const Plaintext& p, const char* who) const {
  return p.as<Pt>((std::string("CkksBackend::") + who).c_str());
}

ckks::Plaintext CkksBackend::full_of(const Plaintext& p, const char* who) const {
  const Pt& pt = pt_of(p, who);
  return pt.is_compact() ? pt.compact.expand(*ctx_) : pt.full;
}

// Created non-const so that a sole owner may update it in place (Handle::sole_owner_as).
Ciphertext CkksBackend::make(ckks::Ciphertext ct) const { return Ciphertext(std::make_shared<Ct>(std::move(ct))); }

ckks::Ciphertext* CkksBackend::sole(Ciphertext& a, const char* who) const {
  Ct* object = a.sole_owner_as<Ct>((std::string("CkksBackend::") + who).c_str());
  return object ? &object->value : nullptr;
}

Ciphertext CkksBackend::wrap(ckks::Ciphertext ct) const {
  if (ct.empty()) throw InvalidArgument(at("wrap", "empty ciphertext"));
  if (ct.param_hash() != ctx_->param_hash())
    throw MismatchError(at("wrap", "ciphertext belongs to other CKKS parameters than this backend"));
  if (ct.slots() != slot_count())
    throw MismatchError(at("wrap", "ciphertext has " + std::to_string(ct.slots()) + " slots, the backend works on " +
                                       std::to_string(slot_count())));
  return make(std::move(ct));
}

Plaintext CkksBackend::wrap(ckks::Plaintext pt) const {
  if (pt.empty()) throw InvalidArgument(at("wrap", "empty plaintext"));
  if (pt.param_hash() != ctx_->param_hash())
    throw MismatchError(at("wrap", "plaintext belongs to other CKKS parameters than this backend"));
  if (pt.slots() != slot_count())
    throw MismatchError(at("wrap", "plaintext has " + std::to_string(pt.slots()) + " slots, the backend works on " +
                                       std::to_string(slot_count())));
  return Plaintext(std::make_shared<const Pt>(std::move(pt)));
}

std::vector<Ciphertext> CkksBackend::wrap_batch(std::vector<ckks::Ciphertext> batch) const {
  std::vector<Ciphertext> out;
  out.reserve(batch.size());
  for (auto& ct : batch) out.push_back(wrap(std::move(ct)));
  return out;
}

const ckks::Ciphertext& CkksBackend::unwrap(const Ciphertext& ct) const { return ct_of(ct, "unwrap"); }
ckks::Plaintext CkksBackend::unwrap(const Plaintext& pt) const { return full_of(pt, "unwrap"); }

std::vector<ckks::Ciphertext> CkksBackend::unwrap_batch(std::span<const Ciphertext> batch) const {
  std::vector<ckks::Ciphertext> out;
  out.reserve(batch.size());
  for (const auto& ct : batch) out.push_back(ct_of(ct, "unwrap_batch"));
  return out;
}

// ------------------------------------------------------------------------------------------- checks

void CkksBackend::check_level(int level, const char* who) const {
  if (level < 0 || level > max_level())
    throw InvalidArgument(at(who, "level " + std::to_string(level) + " outside [0, " + std::to_string(max_level()) + "]"));
}

// As SimBackend: the scale must stay below the ciphertext modulus at that level, or values wrap around
// (the engine itself does not track this for products).
void CkksBackend::check_scale_fits(double scale, std::size_t level, const char* who) const {
  if (!(scale > 0) || !std::isfinite(scale)) throw InvalidArgument(at(who, "scale must be positive and finite"));
  if (std::log2(scale) >= log2_modulus_prefix_[level])
    throw InvalidArgument(at(who, "scale 2^" + std::to_string(std::log2(scale)) + " out of bounds at level " +
                                      std::to_string(level) + " (modulus 2^" +
                                      std::to_string(log2_modulus_prefix_[level]) + ")"));
}

void CkksBackend::check_linear(const ckks::Ciphertext& ct, const char* who) const {
  if (ct.size() != 2)
    throw InvalidArgument(at(who, "ciphertext has " + std::to_string(ct.size()) + " parts: relinearize it first"));
}

const ckks::RelinKey& CkksBackend::relin_key(const char* who) const {
  if (!keys_.relin)
    throw InvalidArgument(at(who, "needs the relinearization key, which this backend was not given"));
  return *keys_.relin;
}

const ckks::GaloisKeys& CkksBackend::galois_keys(const char* who) const {
  if (!keys_.galois) throw InvalidArgument(at(who, "needs Galois keys, which this backend was not given"));
  return *keys_.galois;
}

bool CkksBackend::is_identity_step(long long step) const { return step % static_cast<long long>(slot_count()) == 0; }

// ---------------------------------------------------------------------------------------- parameters

double CkksBackend::modulus_at(int level) const {
  check_level(level, "modulus_at");
  return static_cast<double>(ctx_->modulus(static_cast<std::size_t>(level)).value);
}

// ------------------------------------------------------------------------------- encoding, client side

Plaintext CkksBackend::encode(std::span<const double> values, int level, double scale) const {
  if (values.size() > slot_count())
    throw InvalidArgument(at("encode", std::to_string(values.size()) + " values exceed the " +
                                           std::to_string(slot_count()) + " slots"));
  check_level(level, "encode");
  check_scale_fits(scale, static_cast<std::size_t>(level), "encode");
  const auto l = static_cast<std::size_t>(level);
  if (const std::size_t period = compact_period(values, slot_count())) {
    std::vector<double> one(period, 0.0);
    std::copy_n(values.begin(), std::min(period, values.size()), one.begin());
    return Plaintext(std::make_shared<const Pt>(ckks::CompactPlaintext::encode(*ctx_, one, scale, l, slot_count())));
  }
  return Plaintext(std::make_shared<const Pt>(encoder_.encode(values, scale, l)));
}

std::vector<double> CkksBackend::decode(const Plaintext& pt) const { return encoder_.decode_real(full_of(pt, "decode")); }

Ciphertext CkksBackend::encrypt(const Plaintext& pt) const {
  const auto p = full_of(pt, "encrypt");
  if (!encryptors_)
    throw InvalidArgument(at("encrypt", "needs the public key (or the secret key), neither was given"));
  return make(encryptors_->encrypt(p));
}

void CkksBackend::set_decryption_flooding(int bits) {
  if (bits < 0 || bits > 60) throw InvalidArgument("decryption flooding of " + std::to_string(bits) + " bits (0 to 60)");
  flood_bits_ = bits;
}

std::vector<double> CkksBackend::decrypt(const Ciphertext& ct) const {
  const auto& c = ct_of(ct, "decrypt");
  if (!decryptor_) throw InvalidArgument(at("decrypt", "decrypt needs the secret key: this is the server side"));
  return encoder_.decode_real(decryptor_->decrypt(c, flood_bits_));
}

// -------------------------------------------------------------------------------------------- queries

int CkksBackend::level(const Ciphertext& ct) const { return static_cast<int>(ct_of(ct, "level").level()); }
double CkksBackend::scale(const Ciphertext& ct) const { return ct_of(ct, "scale").scale(); }
int CkksBackend::size(const Ciphertext& ct) const { return static_cast<int>(ct_of(ct, "size").size()); }
int CkksBackend::level(const Plaintext& pt) const { return static_cast<int>(pt_of(pt, "level").level()); }
double CkksBackend::scale(const Plaintext& pt) const { return pt_of(pt, "scale").scale(); }

std::size_t CkksBackend::byte_size(const Ciphertext& ct) const {
  std::size_t words = 0;
  for (const auto& p : ct_of(ct, "byte_size").polys()) words += p.size();
  return words * sizeof(ckks::u64);
}

std::size_t CkksBackend::byte_size(const Plaintext& pt) const { return pt_of(pt, "byte_size").bytes(); }

// ------------------------------------------------------------------------------------------ evaluation

Ciphertext CkksBackend::add(const Ciphertext& a, const Ciphertext& b) const {
  return make(evaluator_.add(ct_of(a, "add"), ct_of(b, "add")));
}
Ciphertext CkksBackend::sub(const Ciphertext& a, const Ciphertext& b) const {
  return make(evaluator_.sub(ct_of(a, "sub"), ct_of(b, "sub")));
}
Ciphertext CkksBackend::add_plain(const Ciphertext& a, const Plaintext& b) const {
  ckks::Ciphertext r = ct_of(a, "add_plain");
  add_plain_to(r, pt_of(b, "add_plain"));
  return make(std::move(r));
}
Ciphertext CkksBackend::sub_plain(const Ciphertext& a, const Plaintext& b) const {
  return make(evaluator_.sub_plain(ct_of(a, "sub_plain"), full_of(b, "sub_plain")));
}

void CkksBackend::add_plain_to(ckks::Ciphertext& x, const Pt& y) const {
  if (y.is_compact()) evaluator_.add_plain_inplace(x, y.compact);
  else evaluator_.add_plain_inplace(x, y.full);
}

void CkksBackend::check_product_fits(const ckks::Ciphertext& x, const Pt& y, const char* who) const {
  if (y.level() >= x.level()) check_scale_fits(x.scale() * y.scale(), x.level(), who);
}

Ciphertext CkksBackend::multiply_plain(const Ciphertext& a, const Plaintext& b) const {
  const auto& x = ct_of(a, "multiply_plain");
  const Pt& y = pt_of(b, "multiply_plain");
  check_product_fits(x, y, "multiply_plain");
  return make(y.is_compact() ? evaluator_.multiply_plain(x, y.compact) : evaluator_.multiply_plain(x, y.full));
}

std::vector<ckks::ProductSum> CkksBackend::product_sums(std::span<const Ciphertext> cts, std::span<const Plaintext> pts,
                                                        std::size_t terms, const char* who) const {
  const auto pairs = product_sum_pairs(cts, pts, terms, (std::string("CkksBackend::") + who).c_str());
  std::vector<ckks::ProductSum> sums(pairs.size());
  for (std::size_t i = 0; i < cts.size(); ++i) {
    if (cts[i].empty() || pts[i].empty()) continue;
    const auto& x = ct_of(cts[i], who);
    const Pt& y = pt_of(pts[i], who);
    check_product_fits(x, y, who);
    ckks::ProductSum& sum = sums[i / terms];
    sum.cts.push_back(&x);
    if (y.is_compact()) sum.compact.push_back(&y.compact);
    else sum.pts.push_back(&y.full);
  }
  return sums;
}

std::vector<Ciphertext> CkksBackend::multiply_plain_sums(std::span<const Ciphertext> cts,
                                                         std::span<const Plaintext> pts, std::size_t terms) const {
  std::vector<ckks::Ciphertext> results = evaluator_.multiply_plain_sums(product_sums(cts, pts, terms, "multiply_plain_sums"));
  std::vector<Ciphertext> out(results.size());
  for (std::size_t j = 0; j < results.size(); ++j)
    if (!results[j].empty()) out[j] = make(std::move(results[j]));
  return out;
}

void CkksBackend::add_plain_product_sums(std::span<Ciphertext> sums, std::span<const Ciphertext> cts,
                                         std::span<const Plaintext> pts, std::size_t terms) const {
  std::vector<ckks::ProductSum> products = product_sums(cts, pts, terms, "add_plain_product_sums");
  if (products.size() != sums.size())
    throw InvalidArgument(at("add_plain_product_sums", std::to_string(sums.size()) + " running sums for " +
                                                           std::to_string(products.size()) + " product sums"));
  // A running sum held by this handle alone takes its products in place; a shared one (or none) gets them
  // added out of place.
  for (std::size_t j = 0; j < sums.size(); ++j)
    if (!products[j].cts.empty() && !sums[j].empty()) products[j].into = sole(sums[j], "add_plain_product_sums");
  std::vector<ckks::Ciphertext> results = evaluator_.multiply_plain_sums(products);
  for (std::size_t j = 0; j < sums.size(); ++j) {
    if (results[j].empty()) continue;
    if (sums[j].empty()) sums[j] = make(std::move(results[j]));
    else sums[j] = add(sums[j], make(std::move(results[j])));
  }
}

void CkksBackend::add_inplace(Ciphertext& a, const Ciphertext& b) const {
  const auto& y = ct_of(b, "add");
  if (auto* x = sole(a, "add")) evaluator_.add_inplace(*x, y);
  else a = add(a, b);
}

void CkksBackend::add_plain_inplace(Ciphertext& a, const Plaintext& b) const {
  const Pt& y = pt_of(b, "add_plain");
  if (auto* x = sole(a, "add_plain")) add_plain_to(*x, y);
  else a = add_plain(a, b);
}

void CkksBackend::multiply_plain_inplace(Ciphertext& a, const Plaintext& b) const {
  const Pt& y = pt_of(b, "multiply_plain");
  if (auto* x = sole(a, "multiply_plain")) {
    check_product_fits(*x, y, "multiply_plain");
    if (y.is_compact()) evaluator_.multiply_plain_inplace(*x, y.compact);
    else evaluator_.multiply_plain_inplace(*x, y.full);
  } else {
    a = multiply_plain(a, b);
  }
}

void CkksBackend::add_rotated_inplace(Ciphertext& a, int step) const {
  auto* x = is_identity_step(step) ? nullptr : sole(a, "rotate");
  if (!x) return add_inplace(a, rotate(a, step));
  check_linear(*x, "rotate");
  evaluator_.add_rotated_inplace(*x, step, galois_keys("rotate"));
}

void CkksBackend::rescale_inplace(Ciphertext& a) const {
  if (auto* x = sole(a, "rescale")) {
    if (x->level() == 0) throw InvalidArgument(at("rescale", "ciphertext is at level 0: no prime left to divide by"));
    evaluator_.rescale_inplace(*x);
  } else {
    a = rescale(a);
  }
}

Ciphertext CkksBackend::multiply(const Ciphertext& a, const Ciphertext& b) const {
  const auto &x = ct_of(a, "multiply"), &y = ct_of(b, "multiply");
  relin_key("multiply");  // the 3-part product is useless without it: refuse before computing
  check_linear(x, "multiply");
  check_linear(y, "multiply");
  if (x.level() == y.level()) check_scale_fits(x.scale() * y.scale(), x.level(), "multiply");
  return make(evaluator_.multiply(x, y));
}

Ciphertext CkksBackend::square(const Ciphertext& a) const {
  const auto& x = ct_of(a, "square");
  relin_key("square");
  check_linear(x, "square");
  check_scale_fits(x.scale() * x.scale(), x.level(), "square");
  return make(evaluator_.multiply(x, x));
}

Ciphertext CkksBackend::relinearize(const Ciphertext& a) const {
  const auto& x = ct_of(a, "relinearize");
  if (x.size() == 2) return a;  // already linear: nothing to switch (as SimBackend)
  return make(evaluator_.relinearize(x, relin_key("relinearize")));
}

Ciphertext CkksBackend::multiply_const(const Ciphertext& a, double value, double const_scale) const {
  const auto& x = ct_of(a, "multiply_const");
  check_scale_fits(x.scale() * const_scale, x.level(), "multiply_const");
  return make(evaluator_.multiply_const(x, {value, 0.0}, const_scale));
}

Ciphertext CkksBackend::rescale(const Ciphertext& a) const {
  const auto& x = ct_of(a, "rescale");
  if (x.level() == 0) throw InvalidArgument(at("rescale", "ciphertext is at level 0: no prime left to divide by"));
  return make(evaluator_.rescale(x));
}

Ciphertext CkksBackend::drop_to_level(const Ciphertext& a, int level) const {
  const auto& x = ct_of(a, "drop_to_level");
  if (level < 0 || level > static_cast<int>(x.level()))
    throw InvalidArgument(at("drop_to_level", "target level " + std::to_string(level) + " outside [0, " +
                                                  std::to_string(x.level()) + "] (the ciphertext's level)"));
  if (level == static_cast<int>(x.level())) return a;
  check_scale_fits(x.scale(), static_cast<std::size_t>(level), "drop_to_level");
  return make(evaluator_.drop_to_level(x, static_cast<std::size_t>(level)));
}

Ciphertext CkksBackend::rotate(const Ciphertext& a, int step) const {
  const auto& x = ct_of(a, "rotate");
  check_linear(x, "rotate");
  if (is_identity_step(step)) return a;
  return make(evaluator_.rotate(x, step, galois_keys("rotate")));
}

Ciphertext CkksBackend::rotate_sum(const Ciphertext& a, std::span<const int> steps) const {
  const auto& x = ct_of(a, "rotate_sum");
  check_linear(x, "rotate_sum");
  if (steps.empty()) throw InvalidArgument(at("rotate_sum", "no steps"));
  const std::vector<long long> wide(steps.begin(), steps.end());
  return make(evaluator_.rotate_sum(x, wide, galois_keys("rotate_sum")));
}

std::vector<Ciphertext> CkksBackend::rotate_many(const Ciphertext& a, std::span<const int> steps) const {
  const auto& x = ct_of(a, "rotate_many");
  check_linear(x, "rotate_many");
  // Identity steps share the input handle (as SimBackend); the others go through one hoisted call.
  std::vector<long long> moving;
  for (int step : steps)
    if (!is_identity_step(step)) moving.push_back(step);
  std::vector<ckks::Ciphertext> rotated;
  if (!moving.empty()) rotated = evaluator_.rotate_hoisted(x, moving, galois_keys("rotate_many"));
  std::vector<Ciphertext> out;
  out.reserve(steps.size());
  std::size_t next = 0;
  for (int step : steps) out.push_back(is_identity_step(step) ? a : make(std::move(rotated[next++])));
  return out;
}

}  // namespace hepex::backend
