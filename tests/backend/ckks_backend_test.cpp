// CkksBackend against SimBackend: every Backend operation run in the same sequence on both (the simulator
// with the same exact primes is the independent reference) must give the same slots within CKKS precision
// and exactly the same levels, scales, sizes and byte counts; refusals must be of the same kind. Then the
// client/server key split, missing keys, foreign objects, and concurrent use.
#include "backend/ckks_backend.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backend/sim_backend.hpp"
#include "ckks/encoder.hpp"
#include "ckks/encryptor.hpp"
#include "ckks/keygen.hpp"
#include "ckks/serialize.hpp"
#include "util/csprng.hpp"

using namespace hepex;
using namespace hepex::backend;
using ::testing::HasSubstr;

namespace {

// Values in [-1, 1] at scales 2^35-2^40 keep CKKS errors below 1e-6 (measured: 1e-8 to 5e-7, also after
// three rescales); 1e-5 leaves a tenfold margin while still catching any wrong slot, sign or constant.
constexpr double kTolerance = 1e-5;

// N = 2^12 (2048 slots), q_0 50 bits, 3 levels of 40 bits, scale 2^40, two key-switching digits.
// Insecure: tests only.
ckks::CkksParameters small_params(std::size_t levels = 3) {
  return ckks::CkksParameters::create(4096, 50, 40, levels, 2, ckks::SecurityLevel::kInsecureForTestsOnly);
}

// One parameter set with its keys, shared by the tests of this file (key generation is the slow part).
struct World {
  std::shared_ptr<const ckks::CkksContext> ctx = ckks::CkksContext::create(small_params());
  ckks::KeyGenerator keygen{ctx, seed_from_u64(71)};
  CkksKeys client_keys, server_keys;
  std::shared_ptr<const ckks::GaloisKeys> power_of_two_keys;

  World() {
    auto secret = std::make_shared<const ckks::SecretKey>(keygen.secret_key());
    auto pub = std::make_shared<const ckks::PublicKey>(keygen.create_public_key());
    auto relin = std::make_shared<const ckks::RelinKey>(keygen.create_relin_key());
    const std::vector<long long> steps{1, -1, 5, 3, -2, 100, -1000, 7};
    auto galois = std::make_shared<const ckks::GaloisKeys>(keygen.create_galois_keys(steps, false));
    power_of_two_keys = std::make_shared<const ckks::GaloisKeys>(keygen.create_power_of_two_galois_keys(false));
    client_keys = {secret, pub, relin, galois};
    server_keys = {nullptr, pub, relin, galois};
  }
};

World& world() {
  static World w;
  return w;
}

std::vector<double> random_values(std::uint64_t seed, std::size_t count = 2048, double bound = 1.0) {
  Csprng rng(seed_from_u64(seed));
  std::vector<double> v(count);
  for (auto& x : v) x = bound * (2 * rng.next_double() - 1);
  return v;
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double e = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) e = std::max(e, std::abs(a[i] - b[i]));
  return e;
}

// A sequence of backend operations ending in one ciphertext.
using Program = std::function<Ciphertext(const Backend&)>;

class CkksVsSim : public ::testing::Test {
 protected:
  CkksBackend ckks{world().ctx, world().client_keys};
  SimBackend sim{sim_params_for(world().ctx->params())};

  // Runs `program` on both backends; the decrypted slots agree within CKKS precision and the bookkeeping
  // (level, scale, size, bytes) agrees exactly.
  void expect_same(const Program& program) {
    const Ciphertext c = program(ckks), s = program(sim);
    EXPECT_EQ(ckks.level(c), sim.level(s));
    EXPECT_TRUE(scales_match(ckks.scale(c), sim.scale(s))) << ckks.scale(c) << " vs " << sim.scale(s);
    EXPECT_EQ(ckks.size(c), sim.size(s));
    EXPECT_EQ(ckks.byte_size(c), sim.byte_size(s));
    EXPECT_LT(max_abs_diff(ckks.decrypt(c), sim.decrypt(s)), kTolerance);
  }

  // Runs `program` on both backends: both refuse it with the same error type.
  template <class ErrorType>
  void expect_same_refusal(const Program& program) {
    EXPECT_THROW(program(ckks), ErrorType);
    EXPECT_THROW(program(sim), ErrorType);
  }
};

Ciphertext fresh(const Backend& be, std::uint64_t seed, int level = -1) {
  const auto v = random_values(seed);
  return be.encrypt(be.encode(v, level < 0 ? be.max_level() : level, be.default_scale()));
}

}  // namespace

TEST_F(CkksVsSim, ParametersAgree) {
  EXPECT_EQ(ckks.slot_count(), 2048u);
  EXPECT_EQ(ckks.slot_count(), sim.slot_count());
  EXPECT_EQ(ckks.max_level(), 3);
  EXPECT_EQ(ckks.max_level(), sim.max_level());
  EXPECT_EQ(ckks.default_scale(), std::ldexp(1.0, 40));
  EXPECT_EQ(ckks.default_scale(), sim.default_scale());
  for (int l = 0; l <= ckks.max_level(); ++l) {
    EXPECT_EQ(ckks.modulus_at(l), static_cast<double>(world().ctx->params().data_moduli()[l]));
    EXPECT_EQ(ckks.modulus_at(l), sim.modulus_at(l));
  }
  EXPECT_THROW(ckks.modulus_at(4), InvalidArgument);
  EXPECT_THROW(ckks.modulus_at(-1), InvalidArgument);
}

TEST_F(CkksVsSim, EncodeDecodeAndEncryptDecrypt) {
  for (int level : {3, 1, 0}) {
    const auto v = random_values(10 + level, 1500);  // fewer values than slots: the rest are zero
    const Plaintext pc = ckks.encode(v, level, std::ldexp(1.0, 35)), ps = sim.encode(v, level, std::ldexp(1.0, 35));
    EXPECT_EQ(ckks.level(pc), level);
    EXPECT_EQ(ckks.scale(pc), sim.scale(ps));
    EXPECT_EQ(ckks.byte_size(pc), sim.byte_size(ps));
    EXPECT_LT(max_abs_diff(ckks.decode(pc), sim.decode(ps)), kTolerance);
    expect_same([&](const Backend& be) { return be.encrypt(be.encode(v, level, std::ldexp(1.0, 35))); });
  }
}

TEST_F(CkksVsSim, AdditiveOperations) {
  expect_same([](const Backend& be) { return be.add(fresh(be, 1), fresh(be, 2)); });
  expect_same([](const Backend& be) { return be.sub(fresh(be, 1), fresh(be, 2)); });
  expect_same([](const Backend& be) {
    return be.add_plain(fresh(be, 1), be.encode(random_values(3), be.max_level(), be.default_scale()));
  });
  // A plaintext above the ciphertext level: its upper primes are ignored.
  expect_same([](const Backend& be) {
    return be.sub_plain(fresh(be, 1, 1), be.encode(random_values(3), 2, be.default_scale()));
  });
}

TEST_F(CkksVsSim, PlainAndConstantProducts) {
  expect_same([](const Backend& be) {
    return be.multiply_plain(fresh(be, 4), be.encode(random_values(5), be.max_level(), be.default_scale()));
  });
  expect_same([](const Backend& be) {
    return be.rescale(be.multiply_plain(fresh(be, 4, 2), be.encode(random_values(5), 3, std::ldexp(1.0, 35))));
  });
  // A constant rounded at a coarse scale: both backends multiply by round(value * 2^10) / 2^10.
  expect_same([](const Backend& be) { return be.multiply_const(fresh(be, 6), 0.3712345, std::ldexp(1.0, 10)); });
  expect_same([](const Backend& be) {
    return be.rescale(be.multiply_const(fresh(be, 6), -0.8, be.modulus_at(be.max_level())));
  });
}

TEST_F(CkksVsSim, MultiplyRelinearizeRescaleChainsDownToLevelZero) {
  // Level 3 -> 0 through every kind of product, each followed by relinearize and rescale; a 3-part
  // ciphertext is also added before relinearization (allowed).
  expect_same([](const Backend& be) {
    const Ciphertext x = fresh(be, 7), y = fresh(be, 8), z = fresh(be, 9);
    Ciphertext a = be.multiply(x, y);
    a = be.add(a, be.multiply(y, z));
    EXPECT_EQ(be.size(a), 3);
    a = be.rescale(be.relinearize(a));  // level 2: x y + y z
    const Ciphertext b = be.rescale(be.relinearize(be.square(a)));  // level 1: (x y + y z)^2
    const Ciphertext c = be.rescale(be.relinearize(be.multiply(b, be.drop_to_level(z, 1))));  // level 0
    EXPECT_EQ(be.level(c), 0);
    return c;
  });
}

TEST_F(CkksVsSim, DropToLevel) {
  expect_same([](const Backend& be) { return be.drop_to_level(fresh(be, 10), 0); });
  expect_same([](const Backend& be) { return be.drop_to_level(fresh(be, 10), 3); });
  expect_same([](const Backend& be) { return be.add(be.drop_to_level(fresh(be, 10), 1), fresh(be, 11, 1)); });
}

TEST_F(CkksVsSim, RotationsWithDirectKeys) {
  for (int step : {1, -1, 5, 100, -1000, 0, 2048, 2048 + 3, -2})
    expect_same([step](const Backend& be) { return be.rotate(fresh(be, 12), step); });
  // After a rescale too (fewer limbs); the constant's scale q_3 brings the scale back to 2^40.
  expect_same([](const Backend& be) {
    return be.rotate(be.rescale(be.multiply_const(fresh(be, 13), 0.5, be.modulus_at(3))), 7);
  });
}

TEST_F(CkksVsSim, HoistedRotations) {
  const std::vector<int> steps{0, 1, 3, -2, 100, 5, 2048};
  for (std::size_t i = 0; i < steps.size(); ++i)
    expect_same([&, i](const Backend& be) { return be.rotate_many(fresh(be, 14), steps)[i]; });
  const Ciphertext x = fresh(ckks, 14);
  const auto many = ckks.rotate_many(x, steps);
  ASSERT_EQ(many.size(), steps.size());
  EXPECT_EQ(many[0].shared(), x.shared());  // identity steps share the input, as in the simulator
  EXPECT_TRUE(ckks.rotate_many(x, {}).empty());
}

TEST(CkksBackend, RotationsComposedFromPowerOfTwoKeys) {
  CkksKeys keys = world().client_keys;
  keys.galois = world().power_of_two_keys;
  const CkksBackend ckks(world().ctx, keys);
  const SimBackend sim(sim_params_for(world().ctx->params()));
  const auto v = random_values(15);
  const Ciphertext c = ckks.encrypt(ckks.encode(v, 3, ckks.default_scale()));
  const Ciphertext s = sim.encrypt(sim.encode(v, 3, sim.default_scale()));
  for (int step : {3, -5, 1000, 2047, -1023}) {
    EXPECT_LT(max_abs_diff(ckks.decrypt(ckks.rotate(c, step)), sim.decrypt(sim.rotate(s, step))), kTolerance)
        << step;
  }
  const std::vector<int> steps{3, 4, -5, 0};
  const auto rc = ckks.rotate_many(c, steps);
  const auto rs = sim.rotate_many(s, steps);
  for (std::size_t i = 0; i < steps.size(); ++i)
    EXPECT_LT(max_abs_diff(ckks.decrypt(rc[i]), sim.decrypt(rs[i])), kTolerance) << steps[i];
}

TEST_F(CkksVsSim, RefusalsHaveTheSimulatorsErrorKinds) {
  expect_same_refusal<MismatchError>([](const Backend& be) { return be.add(fresh(be, 1), fresh(be, 2, 2)); });
  expect_same_refusal<MismatchError>([](const Backend& be) {
    return be.add(fresh(be, 1), be.multiply_const(fresh(be, 2), 1.0, 4.0));  // scales differ
  });
  expect_same_refusal<MismatchError>([](const Backend& be) {
    return be.add_plain(fresh(be, 1), be.encode(random_values(3), 3, be.default_scale() * 2));
  });
  expect_same_refusal<MismatchError>([](const Backend& be) {  // plaintext below the ciphertext level
    return be.multiply_plain(fresh(be, 1), be.encode(random_values(3), 2, be.default_scale()));
  });
  expect_same_refusal<InvalidArgument>([](const Backend& be) { return be.rescale(fresh(be, 1, 0)); });
  expect_same_refusal<InvalidArgument>([](const Backend& be) { return be.drop_to_level(fresh(be, 1, 1), 2); });
  expect_same_refusal<InvalidArgument>([](const Backend& be) {
    return be.multiply(be.multiply(fresh(be, 1), fresh(be, 2)), fresh(be, 3));  // 3 parts
  });
  expect_same_refusal<InvalidArgument>([](const Backend& be) { return be.rotate(be.square(fresh(be, 1)), 1); });
  expect_same_refusal<InvalidArgument>([](const Backend& be) {  // 2^80 does not fit modulo q_0 (50 bits)
    return be.multiply(fresh(be, 1, 0), fresh(be, 2, 0));
  });
  expect_same_refusal<InvalidArgument>([](const Backend& be) {
    return be.encrypt(be.encode(random_values(1), 0, std::ldexp(1.0, 51)));
  });
  expect_same_refusal<InvalidArgument>([](const Backend& be) { return be.add(Ciphertext(), fresh(be, 1)); });
  expect_same_refusal<InvalidArgument>([](const Backend& be) {
    return be.encrypt(be.encode(random_values(1, 2049), 3, be.default_scale()));
  });
  // Handles of the other backend.
  EXPECT_THROW(ckks.rotate(fresh(sim, 1), 1), MismatchError);
  EXPECT_THROW(sim.rotate(fresh(ckks, 1), 1), MismatchError);
}

TEST(CkksBackend, ServerSideEvaluatesButRefusesToDecrypt) {
  const CkksBackend client(world().ctx, world().client_keys);
  const CkksBackend server(world().ctx, world().server_keys);
  EXPECT_TRUE(client.can_decrypt());
  EXPECT_FALSE(server.can_decrypt());
  const auto v = random_values(20);
  // The client encrypts and "sends" a batch file; the server loads and wraps it.
  const auto sent = ckks::to_bytes(client.unwrap_batch(std::vector<Ciphertext>{
      client.encrypt(client.encode(v, 3, client.default_scale()))}));
  const auto received = server.wrap_batch(ckks::parse_ciphertext_batch(server.context(), sent, "request"));
  ASSERT_EQ(received.size(), 1u);
  const Ciphertext y = server.rescale(server.relinearize(server.square(server.rotate(received[0], 5))));
  try {
    server.decrypt(y);
    FAIL() << "the server decrypted";
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(), HasSubstr("decrypt needs the secret key: this is the server side"));
  }
  // The server can encrypt (public key) too: e.g. a bias it adds.
  const Ciphertext enc = server.encrypt(server.encode(v, 3, server.default_scale()));
  // Back to the client: the result is the square of the rotated input.
  const auto back = ckks::parse_ciphertext(client.context(), ckks::to_bytes(server.unwrap(y)), "response");
  const auto got = client.decrypt(client.wrap(back));
  for (std::size_t i = 0; i < v.size(); ++i) ASSERT_NEAR(got[i], v[(i + 5) % v.size()] * v[(i + 5) % v.size()], kTolerance);
  EXPECT_LT(max_abs_diff(client.decrypt(enc), v), kTolerance);
}

TEST(CkksBackend, SecretKeyOnlyClientEncryptsSymmetrically) {
  const CkksBackend client(world().ctx, CkksKeys{world().client_keys.secret, nullptr, nullptr, nullptr});
  const auto v = random_values(21);
  const Ciphertext c = client.encrypt(client.encode(v, 2, client.default_scale()));
  EXPECT_TRUE(client.unwrap(c).c1_seed().has_value());  // secret-key encryption: c1 from a seed
  EXPECT_LT(max_abs_diff(client.decrypt(c), v), kTolerance);
}

TEST(CkksBackend, MissingKeysAreNamed) {
  const auto& k = world().client_keys;
  const CkksBackend no_galois(world().ctx, CkksKeys{k.secret, k.pub, k.relin, nullptr});
  const Ciphertext c = fresh(no_galois, 30);
  try {
    no_galois.rotate(c, 1);
    FAIL() << "rotated without Galois keys";
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(), HasSubstr("CkksBackend::rotate"));
    EXPECT_THAT(e.what(), HasSubstr("Galois keys"));
  }
  EXPECT_THROW(no_galois.rotate_many(c, std::vector<int>{0, 1}), InvalidArgument);
  EXPECT_EQ(no_galois.rotate(c, 0).shared(), c.shared());             // identity needs no key
  EXPECT_EQ(no_galois.rotate_many(c, std::vector<int>{2048}).size(), 1u);

  // A key set that cannot compose the step: only +1 and -1 exist for step 2 = NAF {2}.
  ckks::KeyGenerator keygen(world().ctx, *k.secret);
  const std::vector<long long> one{1, -1};
  const CkksBackend few_keys(world().ctx, CkksKeys{k.secret, k.pub, k.relin,
                                                   std::make_shared<const ckks::GaloisKeys>(
                                                       keygen.create_galois_keys(one, false))});
  EXPECT_NO_THROW(few_keys.rotate(c, -1));
  try {
    few_keys.rotate(c, 2);
    FAIL() << "rotated by 2 with keys for +-1 only";
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(), HasSubstr("step 2"));
  }

  const CkksBackend no_relin(world().ctx, CkksKeys{k.secret, k.pub, nullptr, k.galois});
  for (auto op : {std::function<void()>([&] { no_relin.multiply(c, c); }), std::function<void()>([&] { no_relin.square(c); })}) {
    try {
      op();
      FAIL() << "multiplied without the relinearization key";
    } catch (const InvalidArgument& e) {
      EXPECT_THAT(e.what(), HasSubstr("relinearization key"));
    }
  }
  EXPECT_EQ(no_relin.relinearize(c).shared(), c.shared());  // a linear ciphertext needs no key

  const CkksBackend no_keys(world().ctx, CkksKeys{});
  EXPECT_THROW(no_keys.encrypt(no_keys.encode(random_values(1), 3, no_keys.default_scale())), InvalidArgument);
  EXPECT_NO_THROW(no_keys.add(c, c));  // evaluation without keys is fine
}

TEST(CkksBackend, ForeignParametersAreRefused) {
  const auto other_ctx = ckks::CkksContext::create(small_params(2));
  ckks::KeyGenerator other_keygen(other_ctx, seed_from_u64(72));
  const auto& k = world().client_keys;
  // Keys of other parameters.
  auto other_pub = std::make_shared<const ckks::PublicKey>(other_keygen.create_public_key());
  auto other_secret = std::make_shared<const ckks::SecretKey>(other_keygen.secret_key());
  auto other_relin = std::make_shared<const ckks::RelinKey>(other_keygen.create_relin_key());
  auto other_galois = std::make_shared<const ckks::GaloisKeys>(other_keygen.create_galois_keys(std::vector<long long>{1}, false));
  EXPECT_THROW(CkksBackend(world().ctx, CkksKeys{other_secret, k.pub, k.relin, k.galois}), MismatchError);
  EXPECT_THROW(CkksBackend(world().ctx, CkksKeys{k.secret, other_pub, k.relin, k.galois}), MismatchError);
  EXPECT_THROW(CkksBackend(world().ctx, CkksKeys{k.secret, k.pub, other_relin, k.galois}), MismatchError);
  EXPECT_THROW(CkksBackend(world().ctx, CkksKeys{k.secret, k.pub, k.relin, other_galois}), MismatchError);
  EXPECT_THROW(CkksBackend(nullptr, k), InvalidArgument);

  // Objects of other parameters.
  const CkksBackend mine(world().ctx, k);
  const CkksBackend theirs(other_ctx, CkksKeys{other_secret, other_pub, other_relin, other_galois});
  const Ciphertext foreign = fresh(theirs, 40);
  EXPECT_THROW(mine.add(fresh(mine, 41, 2), foreign), MismatchError);
  EXPECT_THROW(mine.decrypt(foreign), MismatchError);
  EXPECT_THROW(mine.wrap(theirs.unwrap(foreign)), MismatchError);
  EXPECT_THROW(mine.wrap(theirs.unwrap(theirs.encode(random_values(1), 1, 1e9))), MismatchError);
  EXPECT_THROW(mine.wrap(ckks::Ciphertext()), InvalidArgument);
  EXPECT_THROW(mine.unwrap(Ciphertext()), InvalidArgument);

  // A sparse-slot ciphertext of the right parameters does not fit the backend's N/2-slot semantics.
  const ckks::CkksEncoder encoder(world().ctx);
  ckks::Encryptor encryptor(world().ctx, *k.pub, seed_from_u64(3));
  const auto sparse = encryptor.encrypt(encoder.encode(random_values(4, 16), mine.default_scale(), 3, 16));
  EXPECT_THROW(mine.wrap(sparse), MismatchError);
}

TEST(CkksBackend, ConcurrentCallsGiveTheSequentialResults) {
  const CkksBackend ckks(world().ctx, world().client_keys);
  const SimBackend sim(sim_params_for(world().ctx->params()));
  constexpr int kTiles = 6;
  std::vector<std::vector<double>> got(kTiles), want(kTiles);
  // Every tile: encrypt, multiply, relinearize, rescale, rotate, decrypt, all from several threads at once.
  const auto program = [](const Backend& be, int t) {
    const Ciphertext x = fresh(be, 50 + static_cast<std::uint64_t>(t));
    const Ciphertext y = be.rescale(be.relinearize(be.multiply(x, fresh(be, 60))));
    return be.decrypt(be.rotate_many(y, std::vector<int>{1, -1, 5})[static_cast<std::size_t>(t % 3)]);
  };
#pragma omp parallel for schedule(dynamic) num_threads(3)
  for (int t = 0; t < kTiles; ++t) got[static_cast<std::size_t>(t)] = program(ckks, t);
  for (int t = 0; t < kTiles; ++t) want[static_cast<std::size_t>(t)] = program(sim, t);
  for (int t = 0; t < kTiles; ++t) EXPECT_LT(max_abs_diff(got[t], want[t]), kTolerance) << t;
}
