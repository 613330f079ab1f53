#include "backend/sim_backend.hpp"

#include <cmath>
#include <numbers>
#include <string>

namespace hepex::backend {

void SimMemory::add(std::int64_t ct_delta, std::int64_t pt_delta) {
  const std::int64_t ct = ciphertext_bytes += ct_delta;
  const std::int64_t pt = plaintext_bytes += pt_delta;
  std::int64_t peak = peak_bytes.load();
  while (ct + pt > peak && !peak_bytes.compare_exchange_weak(peak, ct + pt)) {
  }
}

namespace {

// Registers an object's bytes with the shared SimMemory for exactly its lifetime.
class TrackedBytes {
 public:
  TrackedBytes(std::shared_ptr<SimMemory> memory, std::int64_t bytes, bool ciphertext)
      : memory_(std::move(memory)), bytes_(bytes), ciphertext_(ciphertext) {
    memory_->add(ciphertext_ ? bytes_ : 0, ciphertext_ ? 0 : bytes_);
  }
  ~TrackedBytes() { memory_->add(ciphertext_ ? -bytes_ : 0, ciphertext_ ? 0 : -bytes_); }
  TrackedBytes(const TrackedBytes&) = delete;
  TrackedBytes& operator=(const TrackedBytes&) = delete;
  std::int64_t bytes() const { return bytes_; }

 private:
  std::shared_ptr<SimMemory> memory_;
  std::int64_t bytes_;
  bool ciphertext_;
};

std::string at(const char* who, const std::string& what) { return std::string("SimBackend::") + who + ": " + what; }

// Slot arithmetic shared by the per-tile operations and the fused sums, so that both round every product
// and every sum once, the same way (products are stored before they are added: never one fused multiply-add).
std::vector<double> slot_products(const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<double> out(x.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = x[i] * y[i];
  return out;
}
std::vector<double> slot_sums(const std::vector<double>& x, const std::vector<double>& y, double sign) {
  std::vector<double> out(x.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = x[i] + sign * y[i];
  return out;
}

// x * y with y one period of a plaintext's slots (its size a power of two dividing x's), into `out`.
void periodic_products(std::vector<double>& out, const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t mask = y.size() - 1;
  out.resize(x.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = x[i] * y[i & mask];
}

// A draw of N(0, stddev^2) from two uniforms in [0, 1) (Box-Muller; 1 - u keeps the logarithm's argument in
// (0, 1]). The simulator's noise and its encoding rounding both draw with it.
double gaussian(double stddev, double u, double v) {
  return stddev * std::sqrt(-2.0 * std::log(1.0 - u)) * std::cos(2.0 * std::numbers::pi * v);
}

// acc += terms, in a loop of its own: each product rounded before the sum, as a product then an add (no
// fused multiply-add), so a fused product sum equals the per-tile path bit for bit.
void add_in_place(std::vector<double>& acc, const std::vector<double>& terms) {
  for (std::size_t i = 0; i < acc.size(); ++i) acc[i] += terms[i];
}

}  // namespace

struct SimBackend::Ct final : CiphertextObject {
  Ct(std::vector<double> s, int l, double sc, int sz, std::shared_ptr<SimMemory> memory, std::int64_t bytes)
      : slots(std::move(s)), level(l), scale(sc), size(sz), tracked(std::move(memory), bytes, true) {}
  std::vector<double> slots;
  int level;
  double scale;
  int size;
  TrackedBytes tracked;
};

// A plaintext's slots are held as one period (all of them when it is held in full; backend.hpp:
// compact_period), as the engine holds a compact plaintext: tens of thousands of weight plaintexts fit.
struct SimBackend::Pt final : PlaintextObject {
  Pt(std::vector<double> s, int l, double sc, std::shared_ptr<SimMemory> memory, std::int64_t bytes)
      : slots(std::move(s)), level(l), scale(sc), tracked(std::move(memory), bytes, false) {}
  std::vector<double> expanded(std::size_t n) const {
    std::vector<double> out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = slots[i % slots.size()];
    return out;
  }
  std::vector<double> slots;  // one period
  int level;
  double scale;
  TrackedBytes tracked;
};

SimBackend::SimBackend(SimParams params, SimOptions options)
    : params_(std::move(params)),
      options_(options),
      counter_((params_.validate("SimBackend"), params_.slot_count())),
      memory_(std::make_shared<SimMemory>()) {
  if (options_.noise_stddev < 0) throw InvalidArgument("SimBackend: noise_stddev must be >= 0");
  double sum = 0;
  for (double q : params_.primes) log2_modulus_prefix_.push_back(sum += std::log2(q));
  if (options_.noise_stddev > 0)
    noise_rng_ = options_.noise_seed ? std::make_unique<Csprng>(*options_.noise_seed) : std::make_unique<Csprng>();
}

void SimBackend::reset_peak_bytes() {
  memory_->peak_bytes = memory_->ciphertext_bytes.load() + memory_->plaintext_bytes.load();
}

double SimBackend::modulus_at(int level) const {
  if (level < 0 || level > max_level())
    throw InvalidArgument(at("modulus_at", "level " + std::to_string(level) + " outside [0, " +
                                               std::to_string(max_level()) + "]"));
  return params_.primes[static_cast<std::size_t>(level)];
}

const SimBackend::Ct& SimBackend::ct_of(const Ciphertext& c, const char* who) const {
  return c.as<Ct>((std::string("SimBackend::") + who).c_str());
}
const SimBackend::Pt& SimBackend::pt_of(const Plaintext& p, const char* who) const {
  return p.as<Pt>((std::string("SimBackend::") + who).c_str());
}

const std::vector<double>& SimBackend::peek(const Ciphertext& ct) const { return ct_of(ct, "peek").slots; }

Ciphertext SimBackend::make_ct(std::vector<double> slots, int level, double scale, int size) const {
  const auto bytes = static_cast<std::int64_t>(params_.poly_bytes(level, size));
  return Ciphertext(std::make_shared<const Ct>(std::move(slots), level, scale, size, memory_, bytes));
}

// As CKKS: the scale must stay below the ciphertext modulus at that level, or values wrap around.
void SimBackend::check_scale_fits(double scale, int level, const char* who) const {
  if (!(scale > 0)) throw InvalidArgument(at(who, "scale must be positive"));
  if (std::log2(scale) >= log2_modulus_prefix_[static_cast<std::size_t>(level)])
    throw InvalidArgument(at(who, "scale 2^" + std::to_string(std::log2(scale)) + " out of bounds at level " +
                                      std::to_string(level) + " (modulus 2^" +
                                      std::to_string(log2_modulus_prefix_[static_cast<std::size_t>(level)]) + ")"));
}

void SimBackend::add_noise(std::vector<double>& slots) const {
  if (!noise_rng_) return;
  std::lock_guard lock(noise_mutex_);
  for (double& v : slots) {
    const double u1 = noise_rng_->next_double(), u2 = noise_rng_->next_double();
    v += gaussian(options_.noise_stddev, u1, u2);
  }
}

namespace {
// Encoding's rounding error as a function of the plaintext (the engine's encoder is deterministic too):
// Gaussian, drawn from a generator seeded by the values, level and scale, so that it does not depend on the
// order threads encode in. splitmix64 (not a CSPRNG: this is a model of an error, not a secret).
void add_rounding(std::vector<double>& slots, int level, double scale, double stddev) {
  std::uint64_t state = 0xcbf29ce484222325ull;  // FNV-1a over the bytes
  const auto mix = [&](const void* data, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) state = (state ^ static_cast<const unsigned char*>(data)[i]) * 0x100000001b3ull;
  };
  mix(slots.data(), slots.size() * sizeof(double));
  mix(&level, sizeof level);
  mix(&scale, sizeof scale);
  const auto next_unit = [&] {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return static_cast<double>((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
  };
  for (double& v : slots) {
    const double u1 = next_unit(), u2 = next_unit();
    v += gaussian(stddev, u1, u2);
  }
}
}  // namespace

std::vector<double> SimBackend::rotated(const std::vector<double>& in, int step) const {
  const std::size_t n = in.size(), s = static_cast<std::size_t>(counter_.normalize_step(step));
  std::vector<double> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = in[(i + s) % n];
  return out;
}

Plaintext SimBackend::encode(std::span<const double> values, int level, double scale) const {
  if (values.size() > slot_count())
    throw InvalidArgument(at("encode", std::to_string(values.size()) + " values exceed the " +
                                           std::to_string(slot_count()) + " slots"));
  if (level < 0 || level > max_level())
    throw InvalidArgument(at("encode", "level " + std::to_string(level) + " outside [0, " +
                                           std::to_string(max_level()) + "]"));
  check_scale_fits(scale, level, "encode");
  counter_.count(Op::kEncode);
  const std::size_t period = compact_period(values, slot_count());  // held as the engine holds it
  std::vector<double> slots(period ? period : slot_count(), 0.0);
  std::copy_n(values.begin(), std::min(values.size(), slots.size()), slots.begin());
  // The rounding of the period's 2p coefficients (p = slots: the full ring): variance p / 6 / scale^2 per
  // slot, as the engine's encoder measures (tests/backend/encode_rounding_test.cpp).
  if (options_.encode_rounding) add_rounding(slots, level, scale, std::sqrt(static_cast<double>(slots.size()) / 6.0) / scale);
  const auto bytes = static_cast<std::int64_t>(period ? compact_plaintext_bytes(level, period) : params_.poly_bytes(level, 1));
  return Plaintext(std::make_shared<const Pt>(std::move(slots), level, scale, memory_, bytes));
}

std::vector<double> SimBackend::decode(const Plaintext& pt) const {
  const auto& p = pt_of(pt, "decode");
  counter_.count(Op::kDecode);
  return p.expanded(slot_count());
}

Ciphertext SimBackend::encrypt(const Plaintext& pt) const {
  const auto& p = pt_of(pt, "encrypt");
  counter_.count(Op::kEncrypt);
  auto slots = p.expanded(slot_count());
  add_noise(slots);
  return make_ct(std::move(slots), p.level, p.scale, 2);
}

std::vector<double> SimBackend::decrypt(const Ciphertext& ct) const {
  const auto& c = ct_of(ct, "decrypt");
  counter_.count(Op::kDecrypt);
  return c.slots;
}

int SimBackend::level(const Ciphertext& ct) const { return ct_of(ct, "level").level; }
double SimBackend::scale(const Ciphertext& ct) const { return ct_of(ct, "scale").scale; }
int SimBackend::size(const Ciphertext& ct) const { return ct_of(ct, "size").size; }
int SimBackend::level(const Plaintext& pt) const { return pt_of(pt, "level").level; }
double SimBackend::scale(const Plaintext& pt) const { return pt_of(pt, "scale").scale; }
std::size_t SimBackend::byte_size(const Ciphertext& ct) const {
  return static_cast<std::size_t>(ct_of(ct, "byte_size").tracked.bytes());
}
std::size_t SimBackend::byte_size(const Plaintext& pt) const {
  return static_cast<std::size_t>(pt_of(pt, "byte_size").tracked.bytes());
}

namespace {
void check_same_level(int a, int b, const char* who, const char* what_b) {
  if (a != b)
    throw MismatchError(at(who, std::string("level mismatch: ciphertext at level ") + std::to_string(a) + ", " +
                                    what_b + " at level " + std::to_string(b)));
}
// As CKKS: a plaintext may sit at the ciphertext's level or above (its upper primes are ignored).
void check_plain_level(int ct_level, int pt_level, const char* who) {
  if (pt_level < ct_level)
    throw MismatchError(at(who, "plaintext level " + std::to_string(pt_level) + " is below the ciphertext level " +
                                    std::to_string(ct_level)));
}
void check_same_scale(double a, double b, const char* who, const char* what_b) {
  if (!scales_match(a, b))
    throw MismatchError(at(who, std::string("scale mismatch: ciphertext at 2^") + std::to_string(std::log2(a)) +
                                    ", " + what_b + " at 2^" + std::to_string(std::log2(b))));
}
void check_linear(int size, const char* who) {
  if (size != 2)
    throw InvalidArgument(at(who, "ciphertext has " + std::to_string(size) + " parts: relinearize it first"));
}
}  // namespace

Ciphertext SimBackend::combine(const Ciphertext& a, const Ciphertext& b, double sign, Op op, const char* who) const {
  const auto &x = ct_of(a, who), &y = ct_of(b, who);
  check_same_level(x.level, y.level, who, "other ciphertext");
  check_same_scale(x.scale, y.scale, who, "other ciphertext");
  counter_.count(op);
  return make_ct(slot_sums(x.slots, y.slots, sign), x.level, x.scale, std::max(x.size, y.size));
}

Ciphertext SimBackend::combine_plain(const Ciphertext& a, const Plaintext& b, double sign, Op op,
                                     const char* who) const {
  const auto& x = ct_of(a, who);
  const auto& y = pt_of(b, who);
  check_plain_level(x.level, y.level, who);
  check_same_scale(x.scale, y.scale, who, "plaintext");
  counter_.count(op);
  return make_ct(slot_sums(x.slots, y.expanded(x.slots.size()), sign), x.level, x.scale, x.size);
}

Ciphertext SimBackend::add(const Ciphertext& a, const Ciphertext& b) const { return combine(a, b, 1, Op::kAdd, "add"); }
Ciphertext SimBackend::sub(const Ciphertext& a, const Ciphertext& b) const { return combine(a, b, -1, Op::kSub, "sub"); }
Ciphertext SimBackend::add_plain(const Ciphertext& a, const Plaintext& b) const {
  return combine_plain(a, b, 1, Op::kAddPlain, "add_plain");
}
Ciphertext SimBackend::sub_plain(const Ciphertext& a, const Plaintext& b) const {
  return combine_plain(a, b, -1, Op::kSubPlain, "sub_plain");
}

Ciphertext SimBackend::multiply_plain(const Ciphertext& a, const Plaintext& b) const {
  const auto& x = ct_of(a, "multiply_plain");
  const auto& y = pt_of(b, "multiply_plain");
  check_plain_level(x.level, y.level, "multiply_plain");
  const double scale = x.scale * y.scale;
  check_scale_fits(scale, x.level, "multiply_plain");
  counter_.count(Op::kMultiplyPlain);
  std::vector<double> product;
  periodic_products(product, x.slots, y.slots);
  return make_ct(std::move(product), x.level, scale, x.size);
}

std::vector<Ciphertext> SimBackend::multiply_plain_sums(std::span<const Ciphertext> cts, std::span<const Plaintext> pts,
                                                        std::size_t terms) const {
  const char* who = "multiply_plain_sums";
  const auto pairs = product_sum_pairs(cts, pts, terms, "SimBackend::multiply_plain_sums");
  std::vector<Ciphertext> out(pairs.size());
  for (std::size_t j = 0; j < out.size(); ++j) {
    const Ct* first = nullptr;
    double scale = 0;
    std::vector<double> sum, term;
    for (std::size_t i = j * terms; i < (j + 1) * terms; ++i) {
      if (cts[i].empty() || pts[i].empty()) continue;
      const auto& x = ct_of(cts[i], who);
      const auto& y = pt_of(pts[i], who);
      check_plain_level(x.level, y.level, who);
      check_scale_fits(x.scale * y.scale, x.level, who);
      if (!first) {
        first = &x;
        scale = x.scale * y.scale;
        periodic_products(sum, x.slots, y.slots);
        continue;
      }
      // As add on the products: one level, one scale; and one size, as the engine's fused kernel requires.
      check_same_level(first->level, x.level, who, "another term's ciphertext");
      check_same_scale(scale, x.scale * y.scale, who, "another term's product");
      if (x.size != first->size)
        throw MismatchError(at(who, "ciphertexts of " + std::to_string(first->size) + " and " +
                                        std::to_string(x.size) + " parts in one sum"));
      periodic_products(term, x.slots, y.slots);
      add_in_place(sum, term);
    }
    counter_.count_product_sum(pairs[j]);
    if (first) out[j] = make_ct(std::move(sum), first->level, scale, first->size);
  }
  return out;
}

Ciphertext SimBackend::product(const Ct& x, const Ct& y, Op op, const char* who) const {
  check_linear(x.size, who);
  check_linear(y.size, who);
  check_same_level(x.level, y.level, who, "other ciphertext");
  const double scale = x.scale * y.scale;
  check_scale_fits(scale, x.level, who);
  counter_.count(op);
  return make_ct(slot_products(x.slots, y.slots), x.level, scale, 3);
}

Ciphertext SimBackend::multiply(const Ciphertext& a, const Ciphertext& b) const {
  return product(ct_of(a, "multiply"), ct_of(b, "multiply"), Op::kMultiply, "multiply");
}

Ciphertext SimBackend::square(const Ciphertext& a) const {
  const auto& x = ct_of(a, "square");
  return product(x, x, Op::kSquare, "square");
}

Ciphertext SimBackend::relinearize(const Ciphertext& a) const {
  const auto& x = ct_of(a, "relinearize");
  if (x.size == 2) return a;  // already linear: nothing to switch, as in CKKS libraries
  counter_.count_relinearize();
  auto slots = x.slots;
  add_noise(slots);
  return make_ct(std::move(slots), x.level, x.scale, 2);
}

Ciphertext SimBackend::multiply_const(const Ciphertext& a, double value, double const_scale) const {
  const auto& x = ct_of(a, "multiply_const");
  const double scale = x.scale * const_scale;
  check_scale_fits(scale, x.level, "multiply_const");
  // CKKS multiplies by the integer round(value * const_scale): reproduce that rounding exactly.
  const double encoded = std::round(value * const_scale) / const_scale;
  std::vector<double> out(x.slots.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = x.slots[i] * encoded;
  counter_.count(Op::kMultiplyConst);
  return make_ct(std::move(out), x.level, scale, x.size);
}

Ciphertext SimBackend::rescale(const Ciphertext& a) const {
  const auto& x = ct_of(a, "rescale");
  if (x.level == 0) throw InvalidArgument(at("rescale", "ciphertext is at level 0: no prime left to divide by"));
  auto slots = x.slots;
  add_noise(slots);
  counter_.count(Op::kRescale);
  return make_ct(std::move(slots), x.level - 1, x.scale / modulus_at(x.level), x.size);
}

Ciphertext SimBackend::drop_to_level(const Ciphertext& a, int level) const {
  const auto& x = ct_of(a, "drop_to_level");
  if (level < 0 || level > x.level)
    throw InvalidArgument(at("drop_to_level", "target level " + std::to_string(level) + " outside [0, " +
                                                  std::to_string(x.level) + "] (the ciphertext's level)"));
  if (level == x.level) return a;
  check_scale_fits(x.scale, level, "drop_to_level");
  counter_.count(Op::kDropLevel);
  return make_ct(x.slots, level, x.scale, x.size);
}

Ciphertext SimBackend::rotate(const Ciphertext& a, int step) const {
  const auto& x = ct_of(a, "rotate");
  check_linear(x.size, "rotate");
  if (counter_.normalize_step(step) == 0) return a;
  counter_.count_rotation(step);
  auto slots = rotated(x.slots, step);
  add_noise(slots);
  return make_ct(std::move(slots), x.level, x.scale, 2);
}

std::vector<Ciphertext> SimBackend::rotate_many(const Ciphertext& a, std::span<const int> steps) const {
  const auto& x = ct_of(a, "rotate_many");
  check_linear(x.size, "rotate_many");
  counter_.count_hoisted_rotation(steps);
  std::vector<Ciphertext> out;
  out.reserve(steps.size());
  for (int step : steps) {
    if (counter_.normalize_step(step) == 0) {
      out.push_back(a);
      continue;
    }
    auto slots = rotated(x.slots, step);
    add_noise(slots);
    out.push_back(make_ct(std::move(slots), x.level, x.scale, 2));
  }
  return out;
}

}  // namespace hepex::backend
