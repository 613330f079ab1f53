// Samplers against their target distributions (chi-square against exact bucket probabilities; the
// rounded Gaussian's from erf) and small_to_rns against 128-bit integer reduction.
#include "ckks/sampling.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <tuple>
#include <vector>

#include "util/error.hpp"

namespace {

using hepex::Csprng;
using hepex::seed_from_u64;
using hepex::ckks::Modulus;
using hepex::ckks::u64;

// Pearson's statistic of observed counts against expected counts.
double chi_square(const std::vector<double>& observed, const std::vector<double>& expected) {
  double chi = 0;
  for (std::size_t i = 0; i < observed.size(); ++i) chi += (observed[i] - expected[i]) * (observed[i] - expected[i]) / expected[i];
  return chi;
}

// Moduli of awkward shapes: tiny, just above a power of two (acceptance ~1/2), just below one, the maximum.
std::vector<Modulus> test_moduli() {
  return {Modulus(3), Modulus((u64{1} << 36) + 1), Modulus(1000003), Modulus((u64{1} << 50) - 27),
          Modulus((u64{1} << 61) - 1)};
}

u64 reference_residue(std::int64_t c, u64 q) {
  const __int128 r = static_cast<__int128>(c) % static_cast<__int128>(q);
  return static_cast<u64>(r < 0 ? r + q : r);
}

TEST(Sampling, TernaryIsUniformAndPairwiseIndependent) {
  Csprng rng(seed_from_u64(21));
  const std::size_t n = 300000;
  const auto t = hepex::ckks::sample_ternary(rng, n);
  ASSERT_EQ(t.size(), n);
  std::vector<double> single(3, 0), pairs(9, 0);
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_TRUE(t[i] >= -1 && t[i] <= 1) << "coefficient " << i << " = " << int(t[i]);
    single[t[i] + 1] += 1;
    if (i % 2 == 1) pairs[3 * (t[i - 1] + 1) + (t[i] + 1)] += 1;
  }
  // 2 and 8 degrees of freedom; thresholds have p < 1e-4.
  EXPECT_LT(chi_square(single, std::vector<double>(3, n / 3.0)), 18.4);
  EXPECT_LT(chi_square(pairs, std::vector<double>(9, n / 2 / 9.0)), 31.8);
}

TEST(Sampling, GaussianHasTheRoundedGaussianLaw) {
  Csprng rng(seed_from_u64(22));
  const std::size_t n = 400000;
  const auto e = hepex::ckks::sample_gaussian(rng, n);
  ASSERT_EQ(e.size(), n);
  const double sigma = hepex::ckks::kErrorStdDev;
  double sum = 0, sum_sq = 0;
  std::map<std::int64_t, double> counts;
  for (std::int64_t v : e) {
    ASSERT_LE(std::abs(v), 19) << "sample beyond the tail cut";
    sum += v;
    sum_sq += double(v) * v;
    counts[v] += 1;
  }
  const double mean = sum / n, sd = std::sqrt(sum_sq / n - mean * mean);
  EXPECT_NEAR(mean, 0.0, 5 * sigma / std::sqrt(n));
  EXPECT_NEAR(sd, sigma, 0.02);

  // P(round(x) = k) = Phi((k + 1/2)/sigma) - Phi((k - 1/2)/sigma); the tails |k| >= 9 form one bucket.
  auto cdf = [&](double x) { return 0.5 * std::erfc(-x / (sigma * std::sqrt(2.0))); };
  std::vector<double> observed, expected;
  double tail_obs = n, tail_exp = n;
  for (int k = -8; k <= 8; ++k) {
    observed.push_back(counts[k]);
    expected.push_back(n * (cdf(k + 0.5) - cdf(k - 0.5)));
    tail_obs -= observed.back();
    tail_exp -= expected.back();
  }
  observed.push_back(tail_obs);
  expected.push_back(tail_exp);
  EXPECT_LT(chi_square(observed, expected), 48.0);  // 17 degrees of freedom, p < 1e-4
}

TEST(Sampling, UniformResiduesAreBelowQAndUniform) {
  Csprng rng(seed_from_u64(23));
  const auto moduli = test_moduli();
  const std::size_t n = 1 << 16, buckets = 16;
  std::vector<u64> out(moduli.size() * n);
  hepex::ckks::sample_uniform(rng, n, moduli, out.data());
  for (std::size_t j = 0; j < moduli.size(); ++j) {
    const u64 q = moduli[j].value;
    const std::size_t nb = std::min<u64>(buckets, q);
    // Bucket b holds [ceil(b q / nb), ceil((b+1) q / nb)); expected counts from the exact bucket widths.
    auto bucket_start = [&](std::size_t b) { return static_cast<u64>((static_cast<__int128>(b) * q + nb - 1) / nb); };
    std::vector<double> observed(nb, 0), expected(nb);
    for (std::size_t b = 0; b < nb; ++b) expected[b] = double(n) * double(bucket_start(b + 1) - bucket_start(b)) / double(q);
    for (std::size_t i = 0; i < n; ++i) {
      const u64 v = out[j * n + i];
      ASSERT_LT(v, q) << "limb " << j << " coefficient " << i;
      observed[static_cast<std::size_t>(static_cast<__int128>(v) * nb / q)] += 1;
    }
    EXPECT_LT(chi_square(observed, expected), 45.0) << "q=" << q;  // <= 15 degrees of freedom, p < 1e-4
  }
}

TEST(Sampling, UniformLimbsAreIndependentStreams) {
  Csprng rng(seed_from_u64(24));
  const std::vector<Modulus> same{Modulus((u64{1} << 40) - 87), Modulus((u64{1} << 40) - 87)};
  const std::size_t n = 1024;
  std::vector<u64> out(2 * n);
  hepex::ckks::sample_uniform(rng, n, same, out.data());
  std::size_t equal = 0;
  for (std::size_t i = 0; i < n; ++i) equal += out[i] == out[n + i];
  EXPECT_LT(equal, 3u);
}

TEST(Sampling, SmallToRnsReducesTheSameSignedIntegerInEveryLimb) {
  Csprng rng(seed_from_u64(25));
  const auto moduli = test_moduli();
  const auto t = hepex::ckks::sample_ternary(rng, 4096);
  auto e = hepex::ckks::sample_gaussian(rng, 4096);
  e.push_back(std::numeric_limits<std::int64_t>::min());
  e.push_back(std::numeric_limits<std::int64_t>::max());
  e.push_back(-(std::int64_t{1} << 61));

  std::vector<u64> rt(moduli.size() * t.size()), re(moduli.size() * e.size());
  hepex::ckks::small_to_rns(t.data(), t.size(), moduli, rt.data());
  hepex::ckks::small_to_rns(e.data(), e.size(), moduli, re.data());
  for (std::size_t j = 0; j < moduli.size(); ++j) {
    const u64 q = moduli[j].value;
    for (std::size_t i = 0; i < t.size(); ++i) ASSERT_EQ(rt[j * t.size() + i], reference_residue(t[i], q)) << "q=" << q;
    for (std::size_t i = 0; i < e.size(); ++i) ASSERT_EQ(re[j * e.size() + i], reference_residue(e[i], q)) << "q=" << q;
  }
  // Small values lift back: the centered representative of every limb (with q > 40) is the integer itself.
  for (std::size_t j = 1; j < moduli.size(); ++j) {
    const u64 q = moduli[j].value;
    for (std::size_t i = 0; i < 4096; ++i) {
      const u64 r = re[j * e.size() + i];
      const std::int64_t centered = r > q / 2 ? -static_cast<std::int64_t>(q - r) : static_cast<std::int64_t>(r);
      ASSERT_EQ(centered, e[i]);
    }
  }
}

TEST(Sampling, SeededStreamsReproduceAndDifferentSeedsDiffer) {
  const auto moduli = test_moduli();
  const std::size_t n = 2048;
  auto draw = [&](std::uint64_t seed) {
    Csprng rng(seed_from_u64(seed));
    const auto t = hepex::ckks::sample_ternary(rng, n);
    const auto e = hepex::ckks::sample_gaussian(rng, n);
    std::vector<u64> u(moduli.size() * n);
    hepex::ckks::sample_uniform(rng, n, moduli, u.data());
    return std::make_tuple(t, e, u);
  };
  const auto a = draw(7), b = draw(7), c = draw(8);
  EXPECT_EQ(std::get<0>(a), std::get<0>(b));
  EXPECT_EQ(std::get<1>(a), std::get<1>(b));
  EXPECT_EQ(std::get<2>(a), std::get<2>(b));
  EXPECT_NE(std::get<0>(a), std::get<0>(c));
  EXPECT_NE(std::get<1>(a), std::get<1>(c));
  EXPECT_NE(std::get<2>(a), std::get<2>(c));
}

TEST(Sampling, RejectsNullBuffers) {
  Csprng rng(seed_from_u64(26));
  const auto moduli = test_moduli();
  const std::int8_t t[2] = {1, -1};
  EXPECT_THROW(hepex::ckks::sample_uniform(rng, 8, moduli, nullptr), hepex::InvalidArgument);
  EXPECT_THROW(hepex::ckks::small_to_rns(t, 2, moduli, nullptr), hepex::InvalidArgument);
}

}  // namespace
