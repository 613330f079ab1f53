// Encryption (public and secret key, seeded), decryption, keys and raw-part constructors.
#include "ckks_fixture.hpp"
#include "ckks/polyarith.hpp"
#include "util/error.hpp"

using namespace hepex::ckks;
using namespace hepex::ckks::testing;

TEST(Encrypt, PublicKeyRoundTripAtEveryLevel) {
  Engine e(small_params(3, 2));
  const cvec v = random_complex(e.ctx->n() / 2, 7);
  for (std::size_t level = 0; level <= e.ctx->max_level(); ++level) {
    const Ciphertext ct = e.encryptor->encrypt(e.encoder->encode(v, e.scale, level));
    EXPECT_EQ(ct.level(), level);
    EXPECT_EQ(ct.size(), 2u);
    EXPECT_FALSE(ct.c1_seed().has_value());
    EXPECT_LT(max_error(e.decrypt(ct), v), 1e-6) << "level " << level;
  }
}

TEST(Encrypt, CiphertextsAreRandomizedAndHideTheMessage) {
  Engine e(small_params(2, 1));
  const Plaintext pt = e.encoder->encode(random_complex(16, 3), e.scale, 2, 16);
  const Ciphertext a = e.encryptor->encrypt(pt), b = e.encryptor->encrypt(pt);
  EXPECT_NE(a.poly(0), b.poly(0));
  EXPECT_NE(a.poly(1), b.poly(1));
  EXPECT_NE(a.poly(0), pt.poly());
}

TEST(Encrypt, SecretKeyEncryptionIsSeeded) {
  Engine e(small_params(2, 3));
  Encryptor sym(e.ctx, e.keygen->secret_key(), hepex::seed_from_u64(5));
  const cvec v = random_complex(64, 9);
  const Ciphertext ct = sym.encrypt(e.encoder->encode(v, e.scale, 1, 64));
  ASSERT_TRUE(ct.c1_seed().has_value());
  EXPECT_LT(max_error(e.decrypt(ct), v), 1e-6);
  // c1 regenerated from the seed alone gives the same ciphertext.
  const Ciphertext again = Ciphertext::from_seeded(*e.ctx, ct.poly(0), *ct.c1_seed(), ct.level(), ct.scale(), ct.slots());
  EXPECT_EQ(again.poly(1), ct.poly(1));
  EXPECT_LT(max_error(e.decrypt(again), v), 1e-6);
  // An operation drops the seed (c1 changed).
  EXPECT_FALSE(e.evaluator->add(ct, ct).c1_seed().has_value());
}

TEST(Encrypt, DeterministicKeysFromASeed) {
  const auto params = small_params(2, 2);
  Engine a(params, 42), b(params, 42), c(params, 43);
  EXPECT_EQ(a.keygen->secret_key().poly(), b.keygen->secret_key().poly());
  EXPECT_NE(a.keygen->secret_key().poly(), c.keygen->secret_key().poly());
  EXPECT_EQ(a.pk.b(), b.pk.b());
}

TEST(Encrypt, SecretKeyIsTernary) {
  Engine e(small_params(1, 1));
  RnsPoly s = e.keygen->secret_key().poly();
  poly::ntt_inverse(*e.ctx, e.ctx->all_primes(), s.data());
  std::size_t counts[3] = {0, 0, 0};
  for (std::size_t j = 0; j < e.ctx->prime_count(); ++j) {
    const u64 q = e.ctx->modulus(j).value;
    for (std::size_t i = 0; i < e.ctx->n(); ++i) {
      const u64 x = s.limb(j)[i];
      ASSERT_TRUE(x == 0 || x == 1 || x == q - 1);
      // The same integer on every limb.
      const u64 x0 = s.limb(0)[i];
      const int v0 = x0 == 0 ? 0 : (x0 == 1 ? 1 : -1), v = x == 0 ? 0 : (x == 1 ? 1 : -1);
      ASSERT_EQ(v, v0);
      if (j == 0) ++counts[v + 1];
    }
  }
  for (std::size_t c : counts) EXPECT_GT(c, e.ctx->n() / 4);
}

TEST(Encrypt, RawPartConstructorsValidate) {
  Engine e(small_params(2, 2));
  const CkksContext& ctx = *e.ctx;
  const Ciphertext ct = e.encrypt(random_complex(8, 1), 8);
  EXPECT_NO_THROW(Ciphertext::from_parts(ctx, ct.polys(), ct.level(), ct.scale(), ct.slots()));
  EXPECT_THROW(Ciphertext::from_parts(ctx, ct.polys(), ct.level() - 1, ct.scale(), ct.slots()), hepex::MismatchError);
  EXPECT_THROW(Ciphertext::from_parts(ctx, ct.polys(), ct.level(), -1.0, ct.slots()), hepex::InvalidArgument);
  EXPECT_THROW(Ciphertext::from_parts(ctx, ct.polys(), ct.level(), ct.scale(), 3), hepex::InvalidArgument);
  EXPECT_THROW(Ciphertext::from_parts(ctx, {ct.poly(0)}, ct.level(), ct.scale(), 8), hepex::InvalidArgument);
  auto polys = ct.polys();
  polys[1].limb(1)[5] = ctx.modulus(1).value;  // not reduced
  EXPECT_THROW(Ciphertext::from_parts(ctx, polys, ct.level(), ct.scale(), 8), hepex::InvalidArgument);
  // A seed that does not match c1.
  EXPECT_THROW(Ciphertext::from_parts(ctx, ct.polys(), ct.level(), ct.scale(), 8, hepex::seed_from_u64(1)),
               hepex::InvalidArgument);
  // Keys: public key from b and the seed of a.
  ASSERT_TRUE(e.pk.a_seed().has_value());
  const PublicKey pk2 = PublicKey::from_seeded(ctx, e.pk.b(), *e.pk.a_seed());
  EXPECT_EQ(pk2.a(), e.pk.a());
  EXPECT_THROW(PublicKey(ctx, e.pk.b(), e.pk.a(), hepex::seed_from_u64(3)), hepex::InvalidArgument);
  const RelinKey rk = e.keygen->create_relin_key();
  std::vector<RnsPoly> b;
  for (std::size_t d = 0; d < rk.key.digits(); ++d) b.push_back(rk.key.b(d));
  const KeySwitchKey k2 = KeySwitchKey::from_seeded(ctx, b, *rk.key.a_seed());
  for (std::size_t d = 0; d < rk.key.digits(); ++d) EXPECT_EQ(k2.a(d), rk.key.a(d));
  b.pop_back();
  EXPECT_THROW(KeySwitchKey::from_seeded(ctx, b, *rk.key.a_seed()), hepex::MismatchError);
  EXPECT_THROW(SecretKey(ctx, ct.poly(0)), hepex::MismatchError);  // wrong limb count
}

TEST(Encrypt, ObjectsFromOtherParametersAreRefused) {
  Engine e(small_params(2, 2)), f(small_params(2, 1));
  const Plaintext pt = f.encoder->encode(random_complex(8, 1), f.scale, 1, 8);
  EXPECT_THROW(e.encryptor->encrypt(pt), hepex::MismatchError);
  EXPECT_THROW(e.decryptor->decrypt(f.encryptor->encrypt(pt)), hepex::MismatchError);
  EXPECT_THROW(Encryptor(e.ctx, f.pk), hepex::MismatchError);
}
