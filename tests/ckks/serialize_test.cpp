// Serialization: round trips checked by decryption and by using loaded keys, and refusal of truncated,
// tampered, foreign and mistyped files (every error is a FormatError naming the file).
#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <string>

#include <unistd.h>

#include "ckks/serialize.hpp"
#include "ckks_fixture.hpp"
#include "io/binary.hpp"
#include "io/bit_pack.hpp"
#include "util/error.hpp"

using namespace hepex::ckks;
using namespace hepex::ckks::testing;
using hepex::FormatError;

namespace {

constexpr double kTol = 1e-6;

// Parsing must fail with a FormatError whose message starts with the file name (and contains `part`).
template <class Parse>
void expect_refused(Parse&& parse, const std::string& name, const std::string& part = "") {
  try {
    parse();
    ADD_FAILURE() << "accepted: expected a FormatError mentioning '" << part << "'";
  } catch (const FormatError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(name + ": ", 0), 0u) << msg;
    EXPECT_NE(msg.find(part), std::string::npos) << msg;
  }
}

Bytes prefix(const Bytes& b, std::size_t len) { return Bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(len)); }

void put_u64(Bytes& b, std::size_t offset, std::uint64_t v) { std::memcpy(b.data() + offset, &v, sizeof(v)); }

unsigned width_of(u64 q) { return static_cast<unsigned>(std::bit_width(q - 1)); }

// Word `index` of a limb whose n words are packed to `width` bits at `offset` (docs/FORMATS.md) set to v.
void put_packed(Bytes& b, std::size_t offset, std::size_t n, unsigned width, std::size_t index, u64 v) {
  std::vector<u64> words(n);
  hepex::io::unpack_bits(b.data() + offset, width, words);
  words[index] = v;
  hepex::io::pack_bits(words, width, b.data() + offset);
}

// A 2^6 ring (insecure, tests only) with two data primes: files of about 2 KB, so every byte can be tried.
CkksParameters tiny_params() { return CkksParameters::create(64, 50, 40, 1, 1, SecurityLevel::kInsecureForTestsOnly); }

// Offsets in a ciphertext's bytes (docs/FORMATS.md): 40-byte header, then level, scale, slots, size, seed
// flag, then the first polynomial's ring degree, limb count and words.
constexpr std::size_t kHeaderBytes = 40, kLevelAt = 40, kSlotsAt = 56, kSizeAt = 64, kFlagAt = 72;
constexpr std::size_t kPolyAtUnseeded = 73, kPolyAtSeeded = 73 + 32;

double ratio(std::size_t a, std::size_t b) { return static_cast<double>(a) / static_cast<double>(b); }

cvec product(const cvec& a, const cvec& b) {
  cvec r(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) r[i] = a[i] * b[i];
  return r;
}

}  // namespace

TEST(Serialize, ParametersRoundTripThroughTheValidatingConstructor) {
  const auto params = small_params(3, 2);
  const Bytes bytes = to_bytes(params);
  const CkksParameters back = parse_parameters(bytes, "p.bin", true);
  EXPECT_TRUE(back == params);
  EXPECT_EQ(back.hash(), params.hash());
  EXPECT_EQ(back.default_scale(), params.default_scale());
  EXPECT_EQ(back.security(), params.security());
  EXPECT_EQ(back.dnum(), params.dnum());

  // A modulus that is not an NTT-friendly prime is refused by the constructor, reported as a format error.
  // Layout: header 40, n 8, dnum 8, security 1, scale 8, data count 8, then q_0.
  Bytes bad = bytes;
  put_u64(bad, kHeaderBytes + 8 + 8 + 1 + 8 + 8, params.data_moduli()[0] + 2);
  expect_refused([&] { parse_parameters(bad, "p.bin", true); }, "p.bin", "modulus");
  // A header hash that does not match the contents.
  bad = bytes;
  bad[16] ^= 1;
  expect_refused([&] { parse_parameters(bad, "p.bin", true); }, "p.bin", "hash");
  // Unknown security flag, trailing bytes, truncation.
  bad = bytes;
  bad[kHeaderBytes + 16] = 7;
  expect_refused([&] { parse_parameters(bad, "p.bin", true); }, "p.bin", "security");
  bad = bytes;
  bad.push_back(0);
  expect_refused([&] { parse_parameters(bad, "p.bin", true); }, "p.bin", "trailing");
  for (std::size_t len = 0; len < bytes.size(); ++len)
    EXPECT_THROW(parse_parameters(prefix(bytes, len), "p.bin", true), FormatError) << "length " << len;
}

TEST(Serialize, PublicKeyCiphertextRoundTripDecrypts) {
  Engine e(small_params(2, 2));
  const cvec v = random_complex(e.ctx->n() / 2, 3);
  const Ciphertext ct = e.encrypt(v);
  ASSERT_FALSE(ct.c1_seed().has_value());
  const Ciphertext back = parse_ciphertext(*e.ctx, to_bytes(ct), "x.ct");
  EXPECT_EQ(back.level(), ct.level());
  EXPECT_EQ(back.scale(), ct.scale());
  EXPECT_EQ(back.slots(), ct.slots());
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back.poly(0), ct.poly(0));
  EXPECT_EQ(back.poly(1), ct.poly(1));
  EXPECT_LT(max_error(e.decrypt(back), v), kTol);
}

TEST(Serialize, SeededCiphertextIsHalfTheSizeAndRegeneratesC1) {
  Engine e(small_params(2, 2));
  Encryptor sym(e.ctx, e.keygen->secret_key(), hepex::seed_from_u64(11));
  const cvec v = random_complex(256, 4);
  const Ciphertext ct = sym.encrypt(e.encoder->encode(v, e.scale, 1, 256));
  ASSERT_TRUE(ct.c1_seed().has_value());
  const Bytes seeded = to_bytes(ct), expanded = to_bytes(ct, SaveOptions{false});
  EXPECT_NEAR(ratio(seeded.size(), expanded.size()), 0.5, 0.01);
  for (const Bytes* b : {&seeded, &expanded}) {
    const Ciphertext back = parse_ciphertext(*e.ctx, *b, "x.ct");
    EXPECT_EQ(back.poly(0), ct.poly(0));
    EXPECT_EQ(back.poly(1), ct.poly(1));
    EXPECT_EQ(back.level(), 1u);
    EXPECT_EQ(back.slots(), 256u);
    EXPECT_LT(max_error(e.decrypt(back), v), kTol);
  }
  // A ciphertext that went through an operation has no seed: stored in full.
  const Ciphertext sum = e.evaluator->add(ct, ct);
  EXPECT_EQ(to_bytes(sum).size(), expanded.size());
}

TEST(Serialize, SizeThreeCiphertextRoundTrip) {
  Engine e(small_params(2, 2));
  const cvec a = random_complex(e.ctx->n() / 2, 5), b = random_complex(e.ctx->n() / 2, 6);
  const Ciphertext prod = e.evaluator->multiply(e.encrypt(a), e.encrypt(b));
  ASSERT_EQ(prod.size(), 3u);
  const Ciphertext back = parse_ciphertext(*e.ctx, to_bytes(prod), "x.ct");
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back.poly(2), prod.poly(2));
  EXPECT_LT(max_error(e.decrypt(back), product(a, b)), 1e-5);
}

TEST(Serialize, PlaintextRoundTrip) {
  Engine e(small_params(2, 2));
  const cvec v = random_complex(32, 8);
  const Plaintext pt = e.encoder->encode(v, e.scale, 1, 32);
  const Plaintext back = parse_plaintext(*e.ctx, to_bytes(pt), "m.pt");
  EXPECT_EQ(back.poly(), pt.poly());
  EXPECT_EQ(back.level(), 1u);
  EXPECT_EQ(back.slots(), 32u);
  EXPECT_EQ(back.scale(), pt.scale());
  EXPECT_LT(max_error(e.encoder->decode(back), v), kTol);
}

TEST(Serialize, SecretKeyRoundTripAndNoOtherFileContainsIt) {
  Engine e(small_params(2, 2));
  const SecretKey& sk = e.keygen->secret_key();
  const SecretKey back = parse_secret_key(*e.ctx, to_bytes(sk), "s.key");
  EXPECT_EQ(back.poly(), sk.poly());
  Decryptor dec(e.ctx, back);
  const cvec v = random_complex(e.ctx->n() / 2, 9);
  EXPECT_LT(max_error(e.encoder->decode(dec.decrypt(e.encrypt(v))), v), kTol);

  // No 64-byte window of the secret key appears in any other file.
  const auto* s = reinterpret_cast<const std::uint8_t*>(sk.poly().data());
  Encryptor sym(e.ctx, sk, hepex::seed_from_u64(2));
  const Ciphertext sym_ct = sym.encrypt(e.encoder->encode(v, e.scale, 2));
  const std::vector<Bytes> others = {to_bytes(e.pk, SaveOptions{false}), to_bytes(e.keygen->create_relin_key(), SaveOptions{false}),
                                     to_bytes(e.keygen->create_galois_keys(std::vector<long long>{1}), SaveOptions{false}),
                                     to_bytes(sym_ct, SaveOptions{false}), to_bytes(sym_ct)};
  for (const Bytes& file : others)
    for (std::size_t at = 0; at + 64 <= sk.poly().size() * 8; at += 4096)
      EXPECT_EQ(std::search(file.begin(), file.end(), s + at, s + at + 64), file.end());
}

TEST(Serialize, PublicKeyRoundTripEncrypts) {
  Engine e(small_params(2, 2));
  ASSERT_TRUE(e.pk.a_seed().has_value());
  const Bytes seeded = to_bytes(e.pk), expanded = to_bytes(e.pk, SaveOptions{false});
  EXPECT_NEAR(ratio(seeded.size(), expanded.size()), 0.5, 0.01);
  const cvec v = random_complex(e.ctx->n() / 2, 10);
  for (const Bytes* b : {&seeded, &expanded}) {
    const PublicKey pk = parse_public_key(*e.ctx, *b, "p.key");
    EXPECT_EQ(pk.b(), e.pk.b());
    EXPECT_EQ(pk.a(), e.pk.a());
    Encryptor enc(e.ctx, pk, hepex::seed_from_u64(3));
    EXPECT_LT(max_error(e.decrypt(enc.encrypt(e.encoder->encode(v, e.scale, 2))), v), kTol);
  }
}

TEST(Serialize, RelinKeyRoundTripMultiplies) {
  Engine e(small_params(2, 2));
  const RelinKey rk = e.keygen->create_relin_key();
  const Bytes seeded = to_bytes(rk), expanded = to_bytes(rk, SaveOptions{false});
  EXPECT_NEAR(ratio(seeded.size(), expanded.size()), 0.5, 0.01);
  const cvec a = random_complex(e.ctx->n() / 2, 12), b = random_complex(e.ctx->n() / 2, 13);
  const Ciphertext ca = e.encrypt(a), cb = e.encrypt(b);
  for (const Bytes* bytes : {&seeded, &expanded}) {
    const RelinKey back = parse_relin_key(*e.ctx, *bytes, "r.key");
    ASSERT_EQ(back.key.digits(), rk.key.digits());
    for (std::size_t d = 0; d < rk.key.digits(); ++d) {
      EXPECT_EQ(back.key.b(d), rk.key.b(d));
      EXPECT_EQ(back.key.a(d), rk.key.a(d));
    }
    const Ciphertext p = e.evaluator->rescale(e.evaluator->multiply_relin(ca, cb, back));
    EXPECT_EQ(p.size(), 2u);
    EXPECT_LT(max_error(e.decrypt(p), product(a, b)), 1e-5);
  }
}

TEST(Serialize, GaloisKeysRoundTripRotate) {
  Engine e(small_params(2, 3));
  const std::vector<long long> steps = {1, 5, -2};
  const GaloisKeys gk = e.keygen->create_galois_keys(steps);
  const Bytes seeded = to_bytes(gk), expanded = to_bytes(gk, SaveOptions{false});
  EXPECT_NEAR(ratio(seeded.size(), expanded.size()), 0.5, 0.01);
  const cvec v = random_complex(e.ctx->n() / 2, 14);
  const Ciphertext ct = e.encrypt(v);
  for (const Bytes* bytes : {&seeded, &expanded}) {
    const GaloisKeys back = parse_galois_keys(*e.ctx, *bytes, "g.key");
    ASSERT_EQ(back.keys().size(), gk.keys().size());
    for (const auto& [g, key] : gk.keys()) {
      ASSERT_TRUE(back.contains(g));
      EXPECT_EQ(back.at(g).b(0), key.b(0));
    }
    for (long long step : steps) EXPECT_LT(max_error(e.decrypt(e.evaluator->rotate(ct, step, back)), rotated(v, step)), kTol);
    EXPECT_LT(max_error(e.decrypt(e.evaluator->conjugate(ct, back)), [&] {
                cvec c = v;
                for (auto& x : c) x = std::conj(x);
                return c;
              }()),
              kTol);
  }
}

// Keys indexed, decoded when asked for (GaloisKeyReader, GaloisKeys on demand): the index answers contains()
// and top_level() without decoding; a key decoded rotates exactly as the key parsed whole; hold_only keeps
// only the keys named; what an on-demand set cannot do is refused; a cut or lying index is refused whole.
TEST(Serialize, GaloisKeysOnDemandDecodeAsAsked) {
  Engine e(small_params(2, 3));
  const std::vector<long long> steps = {1, 5, -2};
  const GaloisKeys gk = e.keygen->create_galois_keys(steps, false);
  const Bytes bytes = to_bytes(gk);
  auto reader = std::make_shared<const GaloisKeyReader>(*e.ctx, hepex::io::BinaryReader(bytes, "g.key"));
  ASSERT_EQ(reader->tops().size(), gk.keys().size());
  const GaloisKeys lazy(e.ctx->param_hash(), reader->tops(),
                        [reader](std::uint64_t g, std::size_t top) { return reader->load(g, KeyForm::kWhole, top); });
  const GaloisKeys whole = parse_galois_keys(*e.ctx, bytes, "g.key");
  for (const auto& [g, key] : gk.keys()) {
    EXPECT_TRUE(lazy.contains(g));
    EXPECT_EQ(lazy.top_level(g), key.top_level());
  }
  EXPECT_EQ(lazy.decoded(), 0u);
  const Ciphertext ct = e.encrypt(random_complex(e.ctx->n() / 2, 17));
  for (long long step : steps) {
    const Ciphertext a = e.evaluator->rotate(ct, step, lazy), b = e.evaluator->rotate(ct, step, whole);
    for (std::size_t p = 0; p < a.size(); ++p) EXPECT_EQ(a.poly(p), b.poly(p)) << "step " << step;
  }
  EXPECT_EQ(lazy.decoded(), steps.size());
  const std::uint64_t first = gk.keys().begin()->first;
  const std::size_t top = whole.at(first).top_level();
  lazy.hold_only(std::vector<GaloisKeys::Use>{{first, top}});
  EXPECT_EQ(lazy.held_bytes(), whole.at(first).byte_size());
  EXPECT_EQ(lazy.decoded(), steps.size());  // held already: not decoded again
  // Held for a lower level, the key is trimmed: the trimmed key's residues, fewer bytes; asked for at its
  // top level, the whole key is decoded beside it.
  ASSERT_GT(top, 0u);
  lazy.hold_only(std::vector<GaloisKeys::Use>{{first, 0}});
  EXPECT_EQ(lazy.decoded(), steps.size() + 1);
  EXPECT_EQ(lazy.at(first, 0).top_level(), 0u);
  EXPECT_EQ(lazy.at(first, 0).b(0), whole.at(first).trimmed(*e.ctx, 0).b(0));
  EXPECT_LT(lazy.held_bytes(), whole.at(first).byte_size());
  EXPECT_EQ(lazy.at(first, top).top_level(), top);
  EXPECT_EQ(lazy.decoded(), steps.size() + 2);
  EXPECT_THROW(lazy.hold_only(std::vector<GaloisKeys::Use>{{first + 2 * e.ctx->n(), 0}}), hepex::InvalidArgument);
  EXPECT_THROW(lazy.hold_only(std::vector<GaloisKeys::Use>{{first, top + 1}}), hepex::InvalidArgument);
  EXPECT_THROW(lazy.at(2), hepex::InvalidArgument);
  EXPECT_THROW(lazy.keys(), hepex::InvalidArgument);
  EXPECT_THROW(lazy.packed(*e.ctx), hepex::InvalidArgument);
  GaloisKeys copy = lazy;
  EXPECT_THROW(copy.insert(first, gk.at(first)), hepex::InvalidArgument);

  // The whole index is read when the reader is made: a file cut anywhere in its keys is refused at once.
  for (std::size_t cut : {bytes.size() - 1, bytes.size() / 2}) {
    const Bytes shorter(bytes.begin(), bytes.begin() + std::ptrdiff_t(cut));
    expect_refused([&] { GaloisKeyReader(*e.ctx, hepex::io::BinaryReader(shorter, "g.key")); }, "g.key");
  }
}

TEST(Serialize, GaloisElementsAreValidated) {
  Engine e(small_params(1, 1));
  const GaloisKeys gk = e.keygen->create_galois_keys(std::vector<long long>{1}, false);
  const Bytes bytes = to_bytes(gk);
  // Layout: header 40, count 8, then the first element.
  const std::uint64_t g = gk.keys().begin()->first;
  for (std::uint64_t bad : {g + 1, std::uint64_t{2 * e.ctx->n() + 1}, std::uint64_t{0}}) {
    Bytes b = bytes;
    put_u64(b, kHeaderBytes + 8, bad);
    expect_refused([&] { parse_galois_keys(*e.ctx, b, "g.key"); }, "g.key", "Galois element");
  }
  Bytes b = bytes;
  put_u64(b, kHeaderBytes, 2);  // claims two keys, holds one
  expect_refused([&] { parse_galois_keys(*e.ctx, b, "g.key"); }, "g.key");
}

TEST(Serialize, CiphertextBatchRoundTrip) {
  Engine e(small_params(2, 2));
  Encryptor sym(e.ctx, e.keygen->secret_key(), hepex::seed_from_u64(5));
  const cvec a = random_complex(e.ctx->n() / 2, 15), b = random_complex(64, 16);
  std::vector<Ciphertext> batch;
  batch.push_back(e.encrypt(a));
  batch.push_back(sym.encrypt(e.encoder->encode(b, e.scale, 1, 64)));
  batch.push_back(e.evaluator->rescale(e.evaluator->multiply_const(batch[0], 2.0, e.scale)));
  const std::vector<cvec> want = {a, b, [&] {
                                    cvec c = a;
                                    for (auto& x : c) x *= 2.0;
                                    return c;
                                  }()};
  const Bytes bytes = to_bytes(std::span<const Ciphertext>(batch));
  EXPECT_LT(bytes.size(), to_bytes(std::span<const Ciphertext>(batch), SaveOptions{false}).size());
  const auto back = parse_ciphertext_batch(*e.ctx, bytes, "in.ctb");
  ASSERT_EQ(back.size(), 3u);
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(back[k].level(), batch[k].level());
    EXPECT_EQ(back[k].poly(1), batch[k].poly(1));
    EXPECT_LT(max_error(e.decrypt(back[k]), want[k]), 1e-5) << k;
  }
  expect_refused([&] { parse_ciphertext(*e.ctx, bytes, "in.ctb"); }, "in.ctb", "expected a ciphertext");
  // A file cut short says so (it used to say "ciphertext count 3 is outside [1, 1]").
  expect_refused([&] { parse_ciphertext_batch(*e.ctx, prefix(bytes, 40 + 8 + 100), "in.ctb"); }, "in.ctb",
                 "truncated: 3 ciphertexts announced");
}

// The server decodes its inputs part by part, the parts' ciphertexts on several threads (next_many): the same
// ciphertexts as one at a time, and a bad word in one of them refused naming the file and that ciphertext.
TEST(Serialize, BatchPartsDecodedInParallelEqualOneAtATime) {
  Engine e(tiny_params());
  Encryptor sym(e.ctx, e.keygen->secret_key(), hepex::seed_from_u64(9));
  std::vector<Ciphertext> batch;
  for (int k = 0; k < 7; ++k) {
    const Plaintext pt = e.encoder->encode(random_complex(32, 40 + k), e.scale, k % 2);
    batch.push_back(k % 3 == 0 ? sym.encrypt(pt) : e.encryptor->encrypt(pt));
  }
  const Bytes bytes = to_bytes(std::span<const Ciphertext>(batch));
  CiphertextBatchParser one(*e.ctx, bytes, "in.ctb"), many(*e.ctx, bytes, "in.ctb");
  std::vector<Ciphertext> parts = many.next_many(3), rest = many.next_many(4);
  parts.insert(parts.end(), rest.begin(), rest.end());
  ASSERT_EQ(parts.size(), batch.size());
  for (std::size_t k = 0; k < batch.size(); ++k) {
    const Ciphertext a = one.next();
    EXPECT_EQ(parts[k].level(), batch[k].level()) << k;
    EXPECT_EQ(parts[k].scale(), batch[k].scale()) << k;
    for (std::size_t i = 0; i < 2; ++i) {
      EXPECT_EQ(parts[k].poly(i), batch[k].poly(i)) << k << " " << i;
      EXPECT_EQ(a.poly(i), parts[k].poly(i)) << k << " " << i;
    }
  }
  EXPECT_NO_THROW(many.finish());
  expect_refused([&] { many.next_many(1); }, "in.ctb", "0 of 7 left");

  // Public-key encryptions at one level (every body the same length): word 0 of ciphertext 4's c0 set to q0.
  std::vector<Ciphertext> same;
  for (int k = 0; k < 6; ++k) same.push_back(e.encryptor->encrypt(e.encoder->encode(random_complex(32, 50 + k), e.scale, 1)));
  Bytes b = to_bytes(std::span<const Ciphertext>(same));
  const std::size_t body = to_bytes(same[0]).size() - kHeaderBytes;
  const std::size_t first_word = kHeaderBytes + 8 + 4 * body + (kPolyAtUnseeded - kHeaderBytes) + 17;
  const u64 q0 = e.ctx->modulus(0).value;
  ASSERT_EQ(b[first_word - 1], width_of(q0));
  put_packed(b, first_word, e.ctx->n(), width_of(q0), 0, q0);
  CiphertextBatchParser bad(*e.ctx, b, "in.ctb");
  expect_refused([&] { bad.next_many(6); }, "in.ctb", "ciphertext 4 c[0]: coefficient 0 of limb 0");
  expect_refused([&] { parse_ciphertext_batch(*e.ctx, b, "in.ctb"); }, "in.ctb", "ciphertext 4");
}

TEST(Serialize, EveryTruncationOfACiphertextIsRejected) {
  Engine e(tiny_params());
  Encryptor sym(e.ctx, e.keygen->secret_key(), hepex::seed_from_u64(6));
  const Plaintext pt = e.encoder->encode(random_complex(32, 17), e.scale, 1);
  for (const Bytes& bytes : {to_bytes(e.encryptor->encrypt(pt)), to_bytes(sym.encrypt(pt))}) {
    ASSERT_NO_THROW(parse_ciphertext(*e.ctx, bytes, "x.ct"));
    for (std::size_t len = 0; len < bytes.size(); ++len)
      expect_refused([&] { parse_ciphertext(*e.ctx, prefix(bytes, len), "x.ct"); }, "x.ct");
    Bytes longer = bytes;
    longer.push_back(0);
    expect_refused([&] { parse_ciphertext(*e.ctx, longer, "x.ct"); }, "x.ct", "trailing");
  }
}

TEST(Serialize, EveryTruncationOfEveryOtherFileIsRejected) {
  Engine e(tiny_params());
  const Plaintext pt = e.encoder->encode(random_complex(32, 22), e.scale, 1);
  const auto& ctx = *e.ctx;
  const std::vector<std::pair<Bytes, std::function<void(const Bytes&)>>> files = {
      {to_bytes(e.keygen->secret_key()), [&](const Bytes& b) { parse_secret_key(ctx, b, "f"); }},
      {to_bytes(e.pk), [&](const Bytes& b) { parse_public_key(ctx, b, "f"); }},
      {to_bytes(e.pk, SaveOptions{false}), [&](const Bytes& b) { parse_public_key(ctx, b, "f"); }},
      {to_bytes(e.keygen->create_relin_key()), [&](const Bytes& b) { parse_relin_key(ctx, b, "f"); }},
      {to_bytes(e.keygen->create_galois_keys(std::vector<long long>{1, 2})),
       [&](const Bytes& b) { parse_galois_keys(ctx, b, "f"); }},
      {to_bytes(pt), [&](const Bytes& b) { parse_plaintext(ctx, b, "f"); }},
      {to_bytes(std::vector<Ciphertext>{e.encryptor->encrypt(pt), e.encryptor->encrypt(pt)}),
       [&](const Bytes& b) { parse_ciphertext_batch(ctx, b, "f"); }},
  };
  for (const auto& [bytes, parse] : files) {
    ASSERT_NO_THROW(parse(bytes));
    for (std::size_t len = 0; len < bytes.size(); ++len) EXPECT_THROW(parse(prefix(bytes, len)), FormatError) << len;
    Bytes longer = bytes;
    longer.push_back(0);
    EXPECT_THROW(parse(longer), FormatError);
  }
}

TEST(Serialize, RandomCorruptionIsAcceptedOrRefusedNeverAnotherError) {
  Engine e(tiny_params());
  Encryptor sym(e.ctx, e.keygen->secret_key(), hepex::seed_from_u64(8));
  const Plaintext pt = e.encoder->encode(random_complex(32, 23), e.scale, 1);
  const Bytes files[] = {to_bytes(e.encryptor->encrypt(pt)), to_bytes(sym.encrypt(pt))};
  hepex::Csprng rng(hepex::seed_from_u64(24));
  std::size_t refused = 0;
  for (int trial = 0; trial < 400; ++trial) {
    Bytes b = files[trial % 2];
    // Corrupt the first 100 bytes (header and fields) half of the time, anywhere otherwise.
    const std::size_t span = trial % 4 < 2 ? 100 : b.size();
    for (int k = 0; k < 3; ++k) b[rng.uniform_below(span)] ^= static_cast<std::uint8_t>(1 + rng.uniform_below(255));
    try {
      parse_ciphertext(*e.ctx, b, "x.ct");
    } catch (const FormatError&) {
      ++refused;
    }
  }
  EXPECT_GT(refused, 200u);  // header, lengths and most coefficient words are checked
}

TEST(Serialize, FlippedHeaderAndLengthBytesAreRejected) {
  Engine e(tiny_params());
  Encryptor sym(e.ctx, e.keygen->secret_key(), hepex::seed_from_u64(7));
  const Plaintext pt = e.encoder->encode(random_complex(32, 18), e.scale, 0);
  const Bytes plain = to_bytes(e.encryptor->encrypt(pt)), seeded = to_bytes(sym.encrypt(pt));
  auto structural = [](std::size_t poly_at) {
    std::vector<std::size_t> at;
    // The header but its key set id (bytes 24..39: any value parses; callers compare it with their keys').
    for (std::size_t i = 0; i < kHeaderBytes - 16; ++i) at.push_back(i);
    for (std::size_t i = 0; i < 8; ++i) {
      at.push_back(kLevelAt + i);
      at.push_back(kSlotsAt + i);
      at.push_back(kSizeAt + i);
      at.push_back(poly_at + i);      // ring degree of c0
      at.push_back(poly_at + 8 + i);  // limb count of c0
    }
    at.push_back(kFlagAt);
    return at;
  };
  for (const auto& [bytes, poly_at] : {std::pair{plain, kPolyAtUnseeded}, std::pair{seeded, kPolyAtSeeded}}) {
    for (std::size_t at : structural(poly_at))
      for (std::uint8_t mask : {std::uint8_t{0x01}, std::uint8_t{0x80}, std::uint8_t{0xff}}) {
        Bytes b = bytes;
        b[at] ^= mask;
        EXPECT_THROW(parse_ciphertext(*e.ctx, b, "x.ct"), FormatError) << "byte " << at << " mask " << int(mask);
      }
  }
  // Scale: zero, negative, infinite and NaN are refused.
  for (double bad : {0.0, -1.0, std::numeric_limits<double>::infinity(), std::nan("")}) {
    Bytes b = plain;
    std::memcpy(b.data() + kLevelAt + 8, &bad, 8);
    expect_refused([&] { parse_ciphertext(*e.ctx, b, "x.ct"); }, "x.ct", "scale");
  }
}

TEST(Serialize, CoefficientAtOrAboveItsModulusIsRejected) {
  Engine e(tiny_params());
  const Ciphertext ct = e.encryptor->encrypt(e.encoder->encode(random_complex(32, 19), e.scale, 1));
  const Bytes bytes = to_bytes(ct);
  const std::size_t n = e.ctx->n();
  const u64 q0 = e.ctx->modulus(0).value, q1 = e.ctx->modulus(1).value;
  const std::size_t width_at = kPolyAtUnseeded + 16, first_word = width_at + 1;
  ASSERT_EQ(bytes[width_at], width_of(q0)) << "limb 0 is packed to its prime's width";
  // The largest reduced value is accepted (the offset is right), the modulus itself is not.
  Bytes b = bytes;
  put_packed(b, first_word, n, width_of(q0), 0, q0 - 1);
  EXPECT_NO_THROW(parse_ciphertext(*e.ctx, b, "x.ct"));
  put_packed(b, first_word, n, width_of(q0), 0, q0);
  expect_refused([&] { parse_ciphertext(*e.ctx, b, "x.ct"); }, "x.ct", "modulus");
  // Last word of the file: c1, limb 1 (modulo q1).
  b = bytes;
  const std::size_t last_limb = b.size() - hepex::io::packed_bytes(n, width_of(q1));
  put_packed(b, last_limb, n, width_of(q1), n - 1, q1);
  expect_refused([&] { parse_ciphertext(*e.ctx, b, "x.ct"); }, "x.ct", "modulus");
  // A limb that claims more bits than its modulus has, or none, is refused before its words are read.
  for (std::uint8_t width : {std::uint8_t(width_of(q0) + 1), std::uint8_t{0}, std::uint8_t{255}}) {
    b = bytes;
    b[width_at] = width;
    expect_refused([&] { parse_ciphertext(*e.ctx, b, "x.ct"); }, "x.ct", "bits");
  }

  // Key files too: the last word of an expanded relinearization key is a[dnum-1] modulo the last special prime.
  const Bytes rk = to_bytes(e.keygen->create_relin_key(), SaveOptions{false});
  const u64 p_last = e.ctx->modulus(e.ctx->prime_count() - 1).value;
  const std::size_t rk_last = rk.size() - hepex::io::packed_bytes(n, width_of(p_last));
  b = rk;
  put_packed(b, rk_last, n, width_of(p_last), n - 1, p_last);
  expect_refused([&] { parse_relin_key(*e.ctx, b, "r.key"); }, "r.key", "modulus");
  b = rk;
  put_packed(b, rk_last, n, width_of(p_last), n - 1, (u64{1} << width_of(p_last)) - 1);
  expect_refused([&] { parse_relin_key(*e.ctx, b, "r.key"); }, "r.key", "modulus");
}

TEST(Serialize, ResiduesTakeTheirPrimesBitsAndVersionTwoFilesStillLoad) {
  Engine e(small_params(2, 2));
  const cvec v = random_complex(256, 21);
  const Ciphertext ct = e.encryptor->encrypt(e.encoder->encode(v, e.scale, 2, 256));
  const Bytes packed = to_bytes(ct, SaveOptions{false});
  // Header and fields, then per polynomial n, limbs and per limb a width byte and n words of its prime's width.
  std::size_t expected = kPolyAtUnseeded;
  for (int poly = 0; poly < 2; ++poly) {
    expected += 16;
    for (std::size_t j = 0; j <= 2; ++j) expected += 1 + hepex::io::packed_bytes(e.ctx->n(), width_of(e.ctx->modulus(j).value));
  }
  EXPECT_EQ(packed.size(), expected);
  EXPECT_LT(packed.size(), 2 * 3 * e.ctx->n() * 8 * 3 / 4);  // 50- and 40-bit primes, not 64-bit words

  // The same ciphertext in version 2's layout (64-bit words), written field by field as docs/FORMATS.md says.
  hepex::io::BinaryWriter w;
  w.write_header({2, hepex::io::ObjectType::kCiphertext, ct.param_hash()});
  w.write<std::uint64_t>(ct.level());
  w.write<double>(ct.scale());
  w.write<std::uint64_t>(ct.slots());
  w.write<std::uint64_t>(2);
  w.write<std::uint8_t>(0);
  for (std::size_t i = 0; i < 2; ++i) {
    w.write<std::uint64_t>(e.ctx->n());
    w.write<std::uint64_t>(ct.poly(i).limbs());
    w.write_bytes(ct.poly(i).data(), ct.poly(i).size() * 8);
  }
  const Ciphertext back = parse_ciphertext(*e.ctx, w.bytes(), "old.ct");
  EXPECT_EQ(back.poly(0), ct.poly(0));
  EXPECT_EQ(back.poly(1), ct.poly(1));
  EXPECT_LT(max_error(e.decrypt(back), v), kTol);
  EXPECT_EQ(parse_ciphertext(*e.ctx, packed, "new.ct").poly(1), ct.poly(1));
}

TEST(Serialize, FilesForOtherParametersOrTypesAreRefused) {
  Engine a(tiny_params());
  Engine b(small_params(1, 1));
  const Ciphertext ct = a.encryptor->encrypt(a.encoder->encode(random_complex(8, 20), a.scale, 1));
  const Bytes bytes = to_bytes(ct);
  expect_refused([&] { parse_ciphertext(*b.ctx, bytes, "x.ct"); }, "x.ct", "made for other CKKS parameters");
  expect_refused([&] { parse_public_key(*b.ctx, to_bytes(a.pk), "p.key"); }, "p.key", "made for other CKKS parameters");
  expect_refused([&] { parse_secret_key(*a.ctx, to_bytes(a.pk), "p.key"); }, "p.key", "expected a secret key");
  expect_refused([&] { parse_relin_key(*a.ctx, bytes, "x.ct"); }, "x.ct", "expected a relinearization key");
  Bytes bad = bytes;
  bad[0] ^= 0x20;
  expect_refused([&] { parse_ciphertext(*a.ctx, bad, "x.ct"); }, "x.ct", "magic");
  for (std::uint8_t version : {std::uint8_t{1}, std::uint8_t{hepex::io::kFormatVersion + 1}}) {
    bad = bytes;
    bad[8] = version;
    expect_refused([&] { parse_ciphertext(*a.ctx, bad, "x.ct"); }, "x.ct", "version");
  }
}

TEST(Serialize, FilesOnDiskAndErrorsNameThePath) {
  Engine e(tiny_params());
  const auto dir = std::filesystem::temp_directory_path() / ("hepex_serialize_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string params_path = (dir / "params.bin").string(), ct_path = (dir / "x.ct").string();
  save(params_path, e.ctx->params());
  EXPECT_THROW(load_parameters(params_path), hepex::SecurityError);  // tiny_params() are insecure
  EXPECT_TRUE(load_parameters(params_path, /*allow_insecure=*/true) == e.ctx->params());
  const cvec v = random_complex(32, 21);
  save(ct_path, e.encrypt(v));
  EXPECT_LT(max_error(e.decrypt(load_ciphertext(*e.ctx, ct_path)), v), kTol);
  std::filesystem::resize_file(ct_path, std::filesystem::file_size(ct_path) - 3);
  expect_refused([&] { load_ciphertext(*e.ctx, ct_path); }, ct_path, "truncated");
  std::filesystem::remove_all(dir);
}

TEST(Serialize, MeasuredKeySizesMatchTheFilesAndSeedsHalveThem) {
  Engine e(small_params(2, 3));
  const RelinKey rk = e.keygen->create_relin_key();
  const GaloisKeys gk = e.keygen->create_galois_keys(std::vector<long long>{1}, false);
  const KeySizes s = measure_key_sizes(e.pk, rk, gk);
  EXPECT_EQ(s.public_key, to_bytes(e.pk, SaveOptions{false}).size());
  EXPECT_EQ(s.public_key_seeded, to_bytes(e.pk).size());
  EXPECT_EQ(s.relin_key, to_bytes(rk, SaveOptions{false}).size());
  EXPECT_EQ(s.relin_key_seeded, to_bytes(rk).size());
  EXPECT_EQ(s.galois_key, to_bytes(gk, SaveOptions{false}).size());
  EXPECT_EQ(s.galois_key_seeded, to_bytes(gk).size());
  // The bulk is dnum digits of (b, a) over all primes, n words each packed to its prime's width.
  std::size_t bulk = 0;
  for (std::size_t j = 0; j < e.ctx->prime_count(); ++j)
    bulk += 1 + hepex::io::packed_bytes(e.ctx->n(), width_of(e.ctx->modulus(j).value));
  bulk *= e.ctx->params().dnum() * 2;
  EXPECT_GT(s.relin_key, bulk);
  EXPECT_LT(s.relin_key, bulk + 1024);
  EXPECT_NEAR(ratio(s.galois_key_seeded, s.galois_key), 0.5, 0.01);
}
