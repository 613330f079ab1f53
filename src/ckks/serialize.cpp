#include "ckks/serialize.hpp"

#include <bit>
#include <cmath>
#include <cstdio>
#include <utility>

#include "ckks/polyarith.hpp"
#include "io/binary.hpp"
#include "io/bit_pack.hpp"
#include "util/error.hpp"
#include "util/parallel.hpp"

namespace hepex::ckks {

// Coefficient words are copied as raw memory: the files are little-endian.
static_assert(std::endian::native == std::endian::little, "hepex files are little-endian");

namespace {

using io::ObjectType;

// Generous bound on the number of primes in a parameter file (the security bound allows far fewer).
constexpr std::uint64_t kMaxPrimes = 256;
// Ciphertexts have 2 polynomials, or 3 after a multiplication that was not relinearized.
constexpr std::uint64_t kMaxCiphertextSize = 3;

// ---------------------------------------------------------------------------------------------------
// Writing. Every writer is a template over its sink, so that the sizes reported by measure_key_sizes come
// from the very code that writes the files.

// Counts the bytes a BinaryWriter would produce.
struct ByteCounter {
  std::size_t count = 0;
  void write_header(const io::Header&) { count += sizeof(io::kMagic) + 4 + 4 + 8 + sizeof(io::KeyId); }
  void write_bytes(const void*, std::size_t n) { count += n; }
  template <class T>
  void write(const T&) {
    count += sizeof(T);
  }
  void write_packed(std::span<const u64> words, unsigned width) { count += io::packed_bytes(words.size(), width); }
};

template <class Out>
void write_header(Out& out, ObjectType type, std::uint64_t param_hash, const io::KeyId& key_id = {}) {
  io::Header h;
  h.type = type;
  h.param_hash = param_hash;
  h.key_id = key_id;
  out.write_header(h);
}

// Each limb as its width in bits (u8: what its largest word needs) and its words packed to that width:
// residues of a 31-bit prime take 31 bits in the file, not 64.
template <class Out>
void write_poly(Out& out, const RnsPoly& p) {
  out.template write<std::uint64_t>(p.n());
  out.template write<std::uint64_t>(p.limbs());
  for (std::size_t j = 0; j < p.limbs(); ++j) {
    const std::span<const u64> limb(p.limb(j), p.n());
    const unsigned width = io::bits_needed(limb);
    out.template write<std::uint8_t>(static_cast<std::uint8_t>(width));
    out.write_packed(limb, width);
  }
}

// The seed flag (and the seed itself when used); returns whether the uniform part is left out.
template <class Out>
bool write_seed(Out& out, const std::optional<Seed>& seed, bool allowed) {
  const bool seeded = allowed && seed.has_value();
  out.template write<std::uint8_t>(seeded ? 1 : 0);
  if (seeded) out.write_bytes(seed->data(), seed->size());
  return seeded;
}

template <class Out>
void write_switch_key(Out& out, const KeySwitchKey& key, SaveOptions opts) {
  out.template write<std::uint64_t>(key.digits());
  out.template write<std::uint64_t>(key.top_level());
  const bool seeded = write_seed(out, key.a_seed(), opts.use_seeds);
  for (std::size_t d = 0; d < key.digits(); ++d) write_poly(out, key.b(d));
  if (!seeded)
    for (std::size_t d = 0; d < key.digits(); ++d) write_poly(out, key.a(d));
}

template <class Out>
void write_galois_keys(Out& out, const GaloisKeys& gk, SaveOptions opts) {
  write_header(out, ObjectType::kGaloisKeys, gk.param_hash(), opts.key_id);
  out.template write<std::uint64_t>(gk.keys().size());
  for (const auto& [element, key] : gk.keys()) {  // std::map: increasing elements
    out.template write<std::uint64_t>(element);
    write_switch_key(out, key, opts);
  }
}

template <class Out>
void write_public_key(Out& out, const PublicKey& pk, SaveOptions opts) {
  write_header(out, ObjectType::kPublicKey, pk.param_hash(), opts.key_id);
  const bool seeded = write_seed(out, pk.a_seed(), opts.use_seeds);
  write_poly(out, pk.b());
  if (!seeded) write_poly(out, pk.a());
}

template <class Out>
void write_relin_key(Out& out, const RelinKey& rk, SaveOptions opts) {
  write_header(out, ObjectType::kRelinKey, rk.key.param_hash(), opts.key_id);
  write_switch_key(out, rk.key, opts);
}

template <class Out>
void write_ciphertext_body(Out& out, const Ciphertext& ct, SaveOptions opts) {
  out.template write<std::uint64_t>(ct.level());
  out.template write<double>(ct.scale());
  out.template write<std::uint64_t>(ct.slots());
  out.template write<std::uint64_t>(ct.size());
  // Only a fresh secret-key encryption (c0, c1 = a) has a seed.
  const bool seeded = write_seed(out, ct.c1_seed(), opts.use_seeds && ct.size() == 2);
  for (std::size_t i = 0; i < ct.size(); ++i)
    if (!(seeded && i == 1)) write_poly(out, ct.poly(i));
}

template <class Out>
void write_ciphertext(Out& out, const Ciphertext& ct, SaveOptions opts) {
  write_header(out, ObjectType::kCiphertext, ct.param_hash(), opts.key_id);
  write_ciphertext_body(out, ct, opts);
}

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// ---------------------------------------------------------------------------------------------------
// Reading: a BinaryReader that knows the expected parameters and checks every field before use.

class ObjectReader {
 public:
  ObjectReader(const CkksContext* ctx, Bytes bytes, const std::string& name) : ctx_(ctx), in_(std::move(bytes), name) {}
  ObjectReader(const CkksContext* ctx, io::BinaryReader in) : ctx_(ctx), in_(std::move(in)) {}

  // Magic, version, type; with a context, the parameter hash too. Hands the header to `out` if given.
  std::uint64_t header(ObjectType type, io::Header* out = nullptr) {
    const io::Header h = in_.read_header(type);
    version_ = h.version;
    if (ctx_ && h.param_hash != ctx_->param_hash())
      fail("made for other CKKS parameters (hash " + hex64(h.param_hash) + " vs " + hex64(ctx_->param_hash()) +
           " expected)");
    if (out) *out = h;
    return h.param_hash;
  }

  std::uint64_t read_u64() { return in_.read<std::uint64_t>(); }
  std::uint64_t read_u64_in(std::uint64_t lo, std::uint64_t hi, const std::string& what) {
    const std::uint64_t v = read_u64();
    if (v < lo || v > hi)
      fail(what + " " + std::to_string(v) + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return v;
  }
  std::uint8_t read_u8() { return in_.read<std::uint8_t>(); }
  double read_f64() { return in_.read<double>(); }
  template <class T>
  std::vector<T> vector(std::uint64_t max_count) {
    return in_.read_vector<T>(max_count);
  }

  std::size_t level() { return read_u64_in(0, ctx().max_level(), "level"); }
  double scale() {
    const double s = read_f64();
    if (!std::isfinite(s) || !(s > 0)) fail("scale " + std::to_string(s) + " is not finite and positive");
    return s;
  }
  std::size_t slots() {
    const std::uint64_t s = read_u64();
    if (s == 0 || (s & (s - 1)) != 0 || s > ctx().params().max_slots())
      fail("slot count " + std::to_string(s) + " is not a power of two in [1, " + std::to_string(ctx().params().max_slots()) +
           "]");
    return s;
  }
  // The seed flag; the seed when it is set.
  std::optional<Seed> seed() {
    const std::uint8_t flag = read_u8();
    if (flag > 1) fail("seed flag " + std::to_string(flag) + " is neither 0 nor 1");
    if (flag == 0) return std::nullopt;
    Seed s;
    in_.read_bytes(s.data(), s.size());
    return s;
  }

  // Where one polynomial's words lie: its framing (ring degree, limb count, each limb's word width) read and
  // checked, the words themselves skipped, for unpack() to decode later, possibly on another thread.
  struct PolyLayout {
    std::vector<std::size_t> at;    // per limb: where its words start
    std::vector<unsigned> width;    // per limb: bits per word (64: stored unpacked, before version 3)
  };
  PolyLayout poly_layout(std::span<const std::size_t> primes, const std::string& what) {
    const std::uint64_t n = read_u64();
    if (n != ctx().n()) fail(what + ": ring degree " + std::to_string(n) + ", expected " + std::to_string(ctx().n()));
    const std::uint64_t limbs = read_u64();
    if (limbs != primes.size())
      fail(what + ": " + std::to_string(limbs) + " limbs, expected " + std::to_string(primes.size()));
    // The fewest bytes these limbs can take (version 3: a width byte and at least one bit a word): a file
    // cannot make the reader allocate more than 64 times its own size.
    const bool packed = version_ >= 3;
    const std::uint64_t least = packed ? limbs * (1 + io::packed_bytes(n, 1)) : limbs * n * sizeof(u64);
    if (least > in_.remaining())
      fail(what + ": truncated (at least " + std::to_string(least) + " bytes of coefficients, " +
           std::to_string(in_.remaining()) + " left)");
    PolyLayout layout{std::vector<std::size_t>(limbs), std::vector<unsigned>(limbs, 64)};
    for (std::size_t j = 0; j < limbs; ++j) {
      if (packed) {
        const u64 q = ctx().modulus(primes[j]).value;
        const unsigned width = in_.read<std::uint8_t>();
        const unsigned most = static_cast<unsigned>(std::bit_width(q - 1));
        if (width < 1 || width > most)
          fail(what + ": limb " + std::to_string(j) + " packs words of " + std::to_string(width) +
               " bits; its modulus " + std::to_string(q) + " allows 1 to " + std::to_string(most));
        layout.width[j] = width;
      }
      layout.at[j] = in_.position();
      in_.skip(packed ? io::packed_bytes(n, layout.width[j]) : n * sizeof(u64));
    }
    return layout;
  }
  // The words of a polynomial whose framing poly_layout read, each checked below its prime. Reads the bytes
  // without moving through them: several threads may unpack at once.
  RnsPoly unpack(const PolyLayout& layout, std::span<const std::size_t> primes, const std::string& what) const {
    const std::size_t n = ctx().n();
    RnsPoly p(n, layout.at.size());
    for (std::size_t j = 0; j < layout.at.size(); ++j) {
      const u64 q = ctx().modulus(primes[j]).value;
      u64* limb = p.limb(j);
      if (version_ >= 3) in_.read_packed_at(layout.at[j], std::span<u64>(limb, n), layout.width[j]);
      else in_.copy_at(layout.at[j], limb, n * sizeof(u64));
      for (std::size_t i = 0; i < n; ++i)
        if (limb[i] >= q)
          fail(what + ": coefficient " + std::to_string(i) + " of limb " + std::to_string(j) + " is " +
               std::to_string(limb[i]) + ", not below its modulus " + std::to_string(q));
    }
    return p;
  }
  // One polynomial over `primes` (global indices): ring degree, limb count, then every word below its prime.
  RnsPoly poly(std::span<const std::size_t> primes, const std::string& what) {
    return unpack(poly_layout(primes, what), primes, what);
  }

  // Runs the validating constructor of the library object; its errors become FormatErrors naming the file.
  template <class F>
  auto build(F&& make) const -> decltype(make()) {
    try {
      return make();
    } catch (const FormatError&) {
      throw;
    } catch (const Error& e) {
      fail(e.what());
    }
  }

  void end() { in_.expect_end(); }
  std::size_t position() const { return in_.position(); }
  void seek(std::size_t pos) { in_.seek(pos); }
  std::uint32_t version() const { return version_; }
  std::size_t remaining() const { return in_.remaining(); }
  [[noreturn]] void fail(const std::string& what) const { in_.fail(what); }
  const CkksContext& ctx() const { return *ctx_; }

 private:
  const CkksContext* ctx_;
  io::BinaryReader in_;
  std::uint32_t version_ = io::kFormatVersion;  // the header's: how polynomials are stored
};

// A key-switching key's framing read and checked (digits, top level, seed, where each polynomial's words
// lie); build_switch_key decodes the words.
struct SwitchKeyLayout {
  std::size_t top = 0;
  std::optional<Seed> seed;
  std::vector<ObjectReader::PolyLayout> b, a;
};

SwitchKeyLayout read_switch_key_layout(ObjectReader& r, const std::string& what) {
  const CkksContext& ctx = r.ctx();
  SwitchKeyLayout k;
  const std::uint64_t digits = r.read_u64();
  // Version 3 keys name the highest level they switch at (trimmed keys); version 2 keys are full.
  k.top = r.version() >= 3 ? r.read_u64_in(0, ctx.max_level(), what + " top level") : ctx.max_level();
  const std::size_t expected = ctx.params().digit_count(k.top);
  if (digits != expected)
    r.fail(what + ": " + std::to_string(digits) + " digits, a key kept up to level " + std::to_string(k.top) +
           " has " + std::to_string(expected) + " (dnum = " + std::to_string(ctx.params().dnum()) + ")");
  k.seed = r.seed();
  const auto& primes = ctx.ext_primes(k.top);
  for (std::size_t d = 0; d < digits; ++d) k.b.push_back(r.poly_layout(primes, what + " b[" + std::to_string(d) + "]"));
  if (!k.seed)
    for (std::size_t d = 0; d < digits; ++d) k.a.push_back(r.poly_layout(primes, what + " a[" + std::to_string(d) + "]"));
  return k;
}

// Decodes the words read_switch_key_layout located and builds the key (const: safe from several threads).
KeySwitchKey build_switch_key(const ObjectReader& r, const SwitchKeyLayout& k, const std::string& what) {
  const CkksContext& ctx = r.ctx();
  const auto& primes = ctx.ext_primes(k.top);
  auto unpack_all = [&](const std::vector<ObjectReader::PolyLayout>& layouts, const std::string& part) {
    std::vector<RnsPoly> polys;
    polys.reserve(layouts.size());
    for (std::size_t d = 0; d < layouts.size(); ++d)
      polys.push_back(r.unpack(layouts[d], primes, what + " " + part + "[" + std::to_string(d) + "]"));
    return polys;
  };
  auto b = unpack_all(k.b, "b");
  if (k.seed) return r.build([&] { return KeySwitchKey::from_seeded(ctx, std::move(b), *k.seed, k.top); });
  auto a = unpack_all(k.a, "a");
  return r.build([&] { return KeySwitchKey(ctx, std::move(b), std::move(a), std::nullopt, k.top); });
}

KeySwitchKey read_switch_key(ObjectReader& r, const std::string& what) {
  return build_switch_key(r, read_switch_key_layout(r, what), what);
}

// A ciphertext's framing read and checked (level, scale, slots, polynomial count, seed, where each
// polynomial's words lie); build_ciphertext decodes the words.
struct CiphertextLayout {
  std::size_t level = 0, slots = 0;
  double scale = 0;
  std::optional<Seed> seed;
  std::vector<ObjectReader::PolyLayout> polys;
};

CiphertextLayout read_ciphertext_layout(ObjectReader& r, const std::string& what) {
  CiphertextLayout c;
  c.level = r.level();
  c.scale = r.scale();
  c.slots = r.slots();
  const std::uint64_t size = r.read_u64_in(2, kMaxCiphertextSize, what + " polynomial count");
  c.seed = r.seed();
  if (c.seed && size != 2) r.fail(what + ": only a 2-polynomial ciphertext can be seeded");
  const auto& primes = r.ctx().level_primes(c.level);
  for (std::size_t i = 0; i < (c.seed ? 1 : size); ++i)
    c.polys.push_back(r.poly_layout(primes, what + (c.seed ? " c0" : " c[" + std::to_string(i) + "]")));
  return c;
}

// Decodes the words read_ciphertext_layout located and builds the ciphertext (const: one thread per ciphertext).
Ciphertext build_ciphertext(const ObjectReader& r, const CiphertextLayout& c, const std::string& what) {
  const CkksContext& ctx = r.ctx();
  const auto& primes = ctx.level_primes(c.level);
  if (c.seed) {
    RnsPoly c0 = r.unpack(c.polys[0], primes, what + " c0");
    return r.build([&] { return Ciphertext::from_seeded(ctx, std::move(c0), *c.seed, c.level, c.scale, c.slots); });
  }
  std::vector<RnsPoly> polys;
  polys.reserve(c.polys.size());
  for (std::size_t i = 0; i < c.polys.size(); ++i)
    polys.push_back(r.unpack(c.polys[i], primes, what + " c[" + std::to_string(i) + "]"));
  return r.build([&] { return Ciphertext::from_parts(ctx, std::move(polys), c.level, c.scale, c.slots); });
}

Ciphertext read_ciphertext_body(ObjectReader& r, const std::string& what) {
  return build_ciphertext(r, read_ciphertext_layout(r, what), what);
}

template <class Write>
Bytes write_bytes(Write&& write) {
  io::BinaryWriter w;
  write(w);
  return w.bytes();
}

template <class Write>
std::size_t count_bytes(Write&& write) {
  ByteCounter c;
  write(c);
  return c.count;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// to bytes and to files

namespace {

template <class Out>
void write_parameters(Out& out, const CkksParameters& params) {
  write_header(out, ObjectType::kParameters, params.hash());
  out.template write<std::uint64_t>(params.n());
  out.template write<std::uint64_t>(params.dnum());
  out.template write<std::uint8_t>(static_cast<std::uint8_t>(params.security()));
  out.template write<double>(params.default_scale());
  out.write_vector(params.data_moduli());
  out.write_vector(params.special_moduli());
}

template <class Out>
void write_secret_key(Out& out, const SecretKey& sk, const io::KeyId& key_id) {
  write_header(out, ObjectType::kSecretKey, sk.param_hash(), key_id);
  write_poly(out, sk.poly());
}

template <class Out>
void write_plaintext(Out& out, const Plaintext& pt) {
  write_header(out, ObjectType::kPlaintext, pt.param_hash());
  out.template write<std::uint64_t>(pt.level());
  out.template write<double>(pt.scale());
  out.template write<std::uint64_t>(pt.slots());
  write_poly(out, pt.poly());
}

template <class Out>
void write_batch(Out& out, std::span<const Ciphertext> batch, SaveOptions opts) {
  if (batch.empty()) throw InvalidArgument("ciphertext batch: nothing to write (empty batch)");
  for (const auto& ct : batch)
    if (ct.param_hash() != batch[0].param_hash())
      throw MismatchError("ciphertext batch: the ciphertexts belong to different parameters");
  write_header(out, ObjectType::kCiphertextBatch, batch[0].param_hash(), opts.key_id);
  out.template write<std::uint64_t>(batch.size());
  for (const auto& ct : batch) write_ciphertext_body(out, ct, opts);
}

template <class Write>
void write_file(const std::string& path, Write&& write, bool secret = false) {
  io::BinaryWriter w;
  write(w);
  w.save(path, secret);
}

}  // namespace

Bytes to_bytes(const CkksParameters& params) {
  return write_bytes([&](auto& w) { write_parameters(w, params); });
}
Bytes to_bytes(const SecretKey& sk, const io::KeyId& key_id) {
  return write_bytes([&](auto& w) { write_secret_key(w, sk, key_id); });
}
Bytes to_bytes(const PublicKey& pk, SaveOptions opts) {
  return write_bytes([&](auto& w) { write_public_key(w, pk, opts); });
}
Bytes to_bytes(const RelinKey& rk, SaveOptions opts) {
  return write_bytes([&](auto& w) { write_relin_key(w, rk, opts); });
}
Bytes to_bytes(const GaloisKeys& gk, SaveOptions opts) {
  return write_bytes([&](auto& w) { write_galois_keys(w, gk, opts); });
}
Bytes to_bytes(const Plaintext& pt) {
  return write_bytes([&](auto& w) { write_plaintext(w, pt); });
}
Bytes to_bytes(const Ciphertext& ct, SaveOptions opts) {
  return write_bytes([&](auto& w) { write_ciphertext(w, ct, opts); });
}
Bytes to_bytes(std::span<const Ciphertext> batch, SaveOptions opts) {
  return write_bytes([&](auto& w) { write_batch(w, batch, opts); });
}

CiphertextBatchWriter::CiphertextBatchWriter(const CkksContext& ctx, std::size_t count, SaveOptions opts)
    : param_hash_(ctx.param_hash()), count_(count), opts_(opts) {
  if (count == 0) throw InvalidArgument("ciphertext batch: nothing to write (empty batch)");
  write_header(w_, ObjectType::kCiphertextBatch, param_hash_, opts.key_id);
  w_.write<std::uint64_t>(count);
}

void CiphertextBatchWriter::reserve(std::size_t body_bytes) {
  w_.reserve(w_.bytes().size() + body_bytes + io::kDigestBytes);
}

void CiphertextBatchWriter::add(const Ciphertext& ct) {
  if (added_ == count_) throw InvalidArgument("ciphertext batch: more than the " + std::to_string(count_) + " ciphertexts announced");
  if (ct.param_hash() != param_hash_) throw MismatchError("ciphertext batch: the ciphertexts belong to different parameters");
  write_ciphertext_body(w_, ct, opts_);
  ++added_;
}

Bytes CiphertextBatchWriter::finish() {
  if (added_ != count_)
    throw InvalidArgument("ciphertext batch: " + std::to_string(added_) + " of the " + std::to_string(count_) +
                          " ciphertexts announced");
  Bytes out = w_.take_bytes();
  w_ = io::BinaryWriter{};
  return out;
}

void save(const std::string& path, const CkksParameters& params) {
  write_file(path, [&](auto& w) { write_parameters(w, params); });
}
void save(const std::string& path, const SecretKey& sk, const io::KeyId& key_id) {
  write_file(path, [&](auto& w) { write_secret_key(w, sk, key_id); }, /*secret=*/true);
}
void save(const std::string& path, const PublicKey& pk, SaveOptions opts) {
  write_file(path, [&](auto& w) { write_public_key(w, pk, opts); });
}
void save(const std::string& path, const RelinKey& rk, SaveOptions opts) {
  write_file(path, [&](auto& w) { write_relin_key(w, rk, opts); });
}
void save(const std::string& path, const GaloisKeys& gk, SaveOptions opts) {
  write_file(path, [&](auto& w) { write_galois_keys(w, gk, opts); });
}
void save(const std::string& path, const Plaintext& pt) {
  write_file(path, [&](auto& w) { write_plaintext(w, pt); });
}
void save(const std::string& path, const Ciphertext& ct, SaveOptions opts) {
  write_file(path, [&](auto& w) { write_ciphertext(w, ct, opts); });
}
void save(const std::string& path, std::span<const Ciphertext> batch, SaveOptions opts) {
  write_file(path, [&](auto& w) { write_batch(w, batch, opts); });
}

// ---------------------------------------------------------------------------------------------------
// from bytes

CkksParameters parse_parameters(Bytes bytes, const std::string& name, bool allow_insecure) {
  ObjectReader r(nullptr, std::move(bytes), name);
  const std::uint64_t hash = r.header(ObjectType::kParameters);
  const std::uint64_t n = r.read_u64();
  const std::uint64_t dnum = r.read_u64();
  const std::uint8_t security = r.read_u8();
  if (security > static_cast<std::uint8_t>(SecurityLevel::kInsecureForTestsOnly))
    r.fail("security level " + std::to_string(security) + " is unknown");
  if (static_cast<SecurityLevel>(security) != SecurityLevel::kClassical128 && !allow_insecure)
    throw SecurityError(name + ": the parameters are marked insecure (below 128-bit security); refused (the "
                        "insecure level is for tests only)");
  const double default_scale = r.read_f64();
  auto data = r.vector<u64>(kMaxPrimes);
  auto special = r.vector<u64>(kMaxPrimes);
  r.end();
  CkksParameters params = r.build([&] {
    return CkksParameters(n, std::move(data), std::move(special), dnum, static_cast<SecurityLevel>(security),
                          default_scale);
  });
  if (params.hash() != hash)
    r.fail("the parameter hash in the header (" + hex64(hash) + ") does not match the parameters (" +
           hex64(params.hash()) + ")");
  return params;
}

SecretKey parse_secret_key(const CkksContext& ctx, Bytes bytes, const std::string& name, io::Header* header) {
  ObjectReader r(&ctx, std::move(bytes), name);
  r.header(ObjectType::kSecretKey, header);
  RnsPoly s = r.poly(ctx.all_primes(), "secret key");
  r.end();
  return r.build([&] { return SecretKey(ctx, std::move(s)); });
}

PublicKey parse_public_key(const CkksContext& ctx, Bytes bytes, const std::string& name, io::Header* header) {
  ObjectReader r(&ctx, std::move(bytes), name);
  r.header(ObjectType::kPublicKey, header);
  const auto seed = r.seed();
  // Over all L+1+K primes (keys.hpp): encryption works modulo Q_l * P.
  const auto& primes = ctx.all_primes();
  RnsPoly b = r.poly(primes, "public key b");
  if (seed) {
    r.end();
    return r.build([&] { return PublicKey::from_seeded(ctx, std::move(b), *seed); });
  }
  RnsPoly a = r.poly(primes, "public key a");
  r.end();
  return r.build([&] { return PublicKey(ctx, std::move(b), std::move(a)); });
}

RelinKey parse_relin_key(const CkksContext& ctx, Bytes bytes, const std::string& name, io::Header* header,
                         KeyForm form) {
  return read_relin_key(ctx, io::BinaryReader(std::move(bytes), name), header, form);
}

RelinKey read_relin_key(const CkksContext& ctx, io::BinaryReader in, io::Header* header, KeyForm form) {
  ObjectReader r(&ctx, std::move(in));
  r.header(ObjectType::kRelinKey, header);
  RelinKey rk{read_switch_key(r, "relinearization key")};
  r.end();
  if (form == KeyForm::kPackedForSwitching) rk.key = rk.key.packed(ctx);
  return rk;
}

struct GaloisKeyReader::Index {
  ObjectReader r;
  std::map<std::uint64_t, SwitchKeyLayout> keys;
  std::map<std::uint64_t, std::size_t> tops;
};

GaloisKeyReader::GaloisKeyReader(const CkksContext& ctx, io::BinaryReader in, io::Header* header)
    : index_(std::make_unique<Index>(Index{ObjectReader(&ctx, std::move(in)), {}, {}})) {
  ObjectReader& r = index_->r;
  r.header(ObjectType::kGaloisKeys, header);
  // At most one key per odd element below 2N.
  const std::uint64_t count = r.read_u64_in(0, ctx.n(), "Galois key count");
  std::uint64_t previous = 0;
  for (std::uint64_t k = 0; k < count; ++k) {
    const std::uint64_t g = r.read_u64();
    if (g % 2 == 0 || g >= 2 * ctx.n())
      r.fail("Galois element " + std::to_string(g) + " is not odd and below 2N = " + std::to_string(2 * ctx.n()));
    if (g <= previous) r.fail("Galois element " + std::to_string(g) + " is repeated or out of order");
    previous = g;
    auto layout = read_switch_key_layout(r, "Galois key " + std::to_string(g));
    index_->tops[g] = layout.top;
    index_->keys.emplace(g, std::move(layout));
  }
  r.end();
}

GaloisKeyReader::GaloisKeyReader(GaloisKeyReader&&) noexcept = default;
GaloisKeyReader::~GaloisKeyReader() = default;

const std::map<std::uint64_t, std::size_t>& GaloisKeyReader::tops() const { return index_->tops; }

KeySwitchKey GaloisKeyReader::load(std::uint64_t galois_element, KeyForm form, std::optional<std::size_t> top) const {
  const auto it = index_->keys.find(galois_element);
  if (it == index_->keys.end())
    index_->r.fail("no key for Galois element " + std::to_string(galois_element));
  const CkksContext& ctx = index_->r.ctx();
  KeySwitchKey key = build_switch_key(index_->r, it->second, "Galois key " + std::to_string(galois_element));
  if (top && *top != key.top_level()) key = key.trimmed(ctx, *top);  // InvalidArgument above its top
  return form == KeyForm::kPackedForSwitching ? key.packed(ctx) : key;
}

GaloisKeys parse_galois_keys(const CkksContext& ctx, Bytes bytes, const std::string& name, io::Header* header,
                             KeyForm form) {
  return read_galois_keys(ctx, io::BinaryReader(std::move(bytes), name), header, form);
}

GaloisKeys read_galois_keys(const CkksContext& ctx, io::BinaryReader in, io::Header* header, KeyForm form) {
  const GaloisKeyReader reader(ctx, std::move(in), header);
  GaloisKeys gk(ctx.param_hash());
  for (const auto& [g, top] : reader.tops()) gk.insert(g, reader.load(g, form));
  return gk;
}

Plaintext parse_plaintext(const CkksContext& ctx, Bytes bytes, const std::string& name, io::Header* header) {
  ObjectReader r(&ctx, std::move(bytes), name);
  r.header(ObjectType::kPlaintext, header);
  const std::size_t level = r.level();
  const double scale = r.scale();
  const std::size_t slots = r.slots();
  RnsPoly m = r.poly(ctx.level_primes(level), "plaintext");
  r.end();
  return r.build([&] { return Plaintext::from_parts(ctx, std::move(m), level, scale, slots); });
}

Ciphertext parse_ciphertext(const CkksContext& ctx, Bytes bytes, const std::string& name, io::Header* header) {
  ObjectReader r(&ctx, std::move(bytes), name);
  r.header(ObjectType::kCiphertext, header);
  Ciphertext ct = read_ciphertext_body(r, "ciphertext");
  r.end();
  return ct;
}

struct CiphertextBatchParser::Reader {
  ObjectReader r;
};

CiphertextBatchParser::CiphertextBatchParser(const CkksContext& ctx, Bytes bytes, const std::string& name,
                                             io::Header* header)
    : CiphertextBatchParser(ctx, io::BinaryReader(std::move(bytes), name), header) {}

CiphertextBatchParser::CiphertextBatchParser(const CkksContext& ctx, io::BinaryReader in, io::Header* header)
    : reader_(std::make_unique<Reader>(Reader{ObjectReader(&ctx, std::move(in))})) {
  ObjectReader& r = reader_->r;
  r.header(ObjectType::kCiphertextBatch, header);
  // Every ciphertext holds at least one polynomial of n words of one bit or more: bounds the count before
  // anything is built.
  const std::uint64_t most = r.remaining() / io::packed_bytes(ctx.n(), 1);
  const std::uint64_t count = r.read_u64();
  if (count == 0) r.fail("holds no ciphertexts");
  // More ciphertexts than the bytes left can hold: most likely a file cut short (a copy or upload that stopped).
  if (count > most)
    r.fail("truncated: " + std::to_string(count) + " ciphertexts announced, the " + std::to_string(r.remaining()) +
           " bytes left hold at most " + std::to_string(most));
  count_ = count;
  first_at_ = r.position();
}

CiphertextBatchParser::CiphertextBatchParser(CiphertextBatchParser&&) noexcept = default;
CiphertextBatchParser::~CiphertextBatchParser() = default;

Ciphertext CiphertextBatchParser::next() { return std::move(next_many(1).front()); }

std::vector<Ciphertext> CiphertextBatchParser::next_many(std::size_t count) {
  ObjectReader& r = reader_->r;
  if (count > count_ - parsed_)
    r.fail(std::to_string(count) + (count == 1 ? " more ciphertext" : " more ciphertexts") + " asked for, " +
           std::to_string(count_ - parsed_) + " of " + std::to_string(count_) + " left");
  // The framing in order (cheap: it skips the words), then the words of every ciphertext at once.
  std::vector<CiphertextLayout> layouts;
  layouts.reserve(count);
  for (std::size_t i = 0; i < count; ++i)
    layouts.push_back(read_ciphertext_layout(r, "ciphertext " + std::to_string(parsed_ + i)));
  std::vector<Ciphertext> cts(count);
  parallel_for(count, [&](std::size_t i) {
    cts[i] = build_ciphertext(r, layouts[i], "ciphertext " + std::to_string(parsed_ + i));
  });
  parsed_ += count;
  return cts;
}

void CiphertextBatchParser::rewind() {
  reader_->r.seek(first_at_);
  parsed_ = 0;
}

void CiphertextBatchParser::finish() {
  if (parsed_ != count_)
    reader_->r.fail(std::to_string(parsed_) + " of " + std::to_string(count_) + " ciphertexts read");
  reader_->r.end();
}

std::vector<Ciphertext> parse_ciphertext_batch(const CkksContext& ctx, Bytes bytes, const std::string& name,
                                               io::Header* header) {
  CiphertextBatchParser parser(ctx, std::move(bytes), name, header);
  std::vector<Ciphertext> batch = parser.next_many(parser.count());
  parser.finish();
  return batch;
}

// ---------------------------------------------------------------------------------------------------
// from files

CkksParameters load_parameters(const std::string& path, bool allow_insecure) {
  return parse_parameters(io::read_hepex_file(path), path, allow_insecure);
}
SecretKey load_secret_key(const CkksContext& ctx, const std::string& path, io::Header* header) {
  return parse_secret_key(ctx, io::read_hepex_file(path), path, header);
}
PublicKey load_public_key(const CkksContext& ctx, const std::string& path, io::Header* header) {
  return parse_public_key(ctx, io::read_hepex_file(path), path, header);
}
RelinKey load_relin_key(const CkksContext& ctx, const std::string& path, io::Header* header) {
  return parse_relin_key(ctx, io::read_hepex_file(path), path, header);
}
GaloisKeys load_galois_keys(const CkksContext& ctx, const std::string& path, io::Header* header) {
  return parse_galois_keys(ctx, io::read_hepex_file(path), path, header);
}
Plaintext load_plaintext(const CkksContext& ctx, const std::string& path, io::Header* header) {
  return parse_plaintext(ctx, io::read_hepex_file(path), path, header);
}
Ciphertext load_ciphertext(const CkksContext& ctx, const std::string& path, io::Header* header) {
  return parse_ciphertext(ctx, io::read_hepex_file(path), path, header);
}
std::vector<Ciphertext> load_ciphertext_batch(const CkksContext& ctx, const std::string& path, io::Header* header) {
  return parse_ciphertext_batch(ctx, io::read_hepex_file(path), path, header);
}

// ---------------------------------------------------------------------------------------------------
// sizes

std::size_t batch_body_size(const Ciphertext& ct, SaveOptions opts) {
  return count_bytes([&](auto& out) { write_ciphertext_body(out, ct, opts); });
}

KeySizes measure_key_sizes(const PublicKey& pk, const RelinKey& rk, const GaloisKeys& gk) {
  if (gk.keys().empty()) throw InvalidArgument("key sizes: the Galois key set is empty");
  // The size of a file holding only the first key, counted without copying the key.
  // Plain references, not a structured binding: clang 14 cannot capture bindings in lambdas (C++20 allows it).
  const auto& first = *gk.keys().begin();
  const auto element = first.first;
  const auto& key = first.second;
  auto one_galois_key = [&](SaveOptions opts) {
    return count_bytes([&](auto& out) {
      write_header(out, ObjectType::kGaloisKeys, gk.param_hash());
      out.template write<std::uint64_t>(1);
      out.template write<std::uint64_t>(element);
      write_switch_key(out, key, opts);
    });
  };
  const SaveOptions expanded{false}, seeded{true};
  KeySizes s;
  s.public_key = count_bytes([&](auto& out) { write_public_key(out, pk, expanded); });
  s.public_key_seeded = count_bytes([&](auto& out) { write_public_key(out, pk, seeded); });
  s.relin_key = count_bytes([&](auto& out) { write_relin_key(out, rk, expanded); });
  s.relin_key_seeded = count_bytes([&](auto& out) { write_relin_key(out, rk, seeded); });
  s.galois_key = one_galois_key(expanded);
  s.galois_key_seeded = one_galois_key(seeded);
  return s;
}

}  // namespace hepex::ckks
