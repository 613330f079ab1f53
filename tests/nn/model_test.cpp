// Architecture strings, forward pass against naive loops, permutations, and the model file format.
#include "nn/model.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "io/binary.hpp"
#include "nn/dataset.hpp"
#include "util/error.hpp"

using namespace hepex::nn;
namespace fs = std::filesystem;

namespace {
Model random_model(const std::string& arch, std::uint64_t seed, bool masks = false) {
  Model m = Model::from_arch(arch);
  hepex::Csprng rng(hepex::seed_from_u64(seed));
  m.init_glorot(rng);
  for (auto& L : m.layers()) {
    for (Eigen::Index i = 0; i < L.b.size(); ++i) L.b(i) = float(rng.next_double() - 0.5);
    if (masks) {
      L.mask.resize(L.out(), L.in());
      for (Eigen::Index k = 0; k < L.mask.size(); ++k) L.mask.data()[k] = rng.next_double() < 0.3 ? 0.f : 1.f;
      L.apply_mask();
    }
  }
  return m;
}

bool bitwise_equal(const Matrix& a, const Matrix& b) {
  // Empty matrices have null data(): memcmp must not see them (UBSan: null pointer argument).
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         (a.size() == 0 || std::memcmp(a.data(), b.data(), std::size_t(a.size()) * sizeof(float)) == 0);
}

Permutation shuffled(std::size_t n, std::uint64_t seed) {
  hepex::Csprng rng(hepex::seed_from_u64(seed));
  const auto p = random_permutation(Eigen::Index(n), rng);
  return Permutation(p.begin(), p.end());
}

struct TempFile {
  fs::path path = fs::temp_directory_path() /
                  (std::string("hepex_model_test_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
  ~TempFile() { fs::remove(path); }
};
}  // namespace

TEST(Arch, ParsesAndFormats) {
  const ArchSpec s = parse_arch("784-256-64-256-784:poly2");
  EXPECT_EQ(s.sizes, (std::vector<int>{784, 256, 64, 256, 784}));
  ASSERT_EQ(s.activations.size(), 4u);
  EXPECT_EQ(s.activations[0].kind, ActivationKind::kPoly2);
  EXPECT_TRUE(s.activations[0].trainable);
  EXPECT_EQ(s.activations[3], Activation::identity());
  EXPECT_EQ(format_arch(s), "784-256-64-256-784:poly2");
  for (const char* text : {"10-4-10:square", "5-3:relu", "6-4-2:square,sigmoid", "8-4-8:poly2@0.25/0.5/-0.125"})
    EXPECT_EQ(format_arch(parse_arch(text)), text);
  EXPECT_EQ(format_arch(parse_arch("3-2-3")), "3-2-3:poly2");  // poly2: the default activation
  const ArchSpec fixed = parse_arch("4-2-4:poly2@0.1/0.2/0.3");
  EXPECT_FALSE(fixed.activations[0].trainable);
  EXPECT_FLOAT_EQ(fixed.activations[0].poly[2], 0.3f);
}

TEST(Arch, RejectsBadStrings) {
  for (const char* text : {"", "784", "784-", "784-0-10", "784-x-10", "784-10:tanh", "784-10-10:relu,relu,relu",
                           "4-2-4:poly2@1/2", "4-2-4:poly2@1/2/z", "99999999-1"})
    EXPECT_THROW(parse_arch(text), hepex::InvalidArgument) << text;
}

TEST(Activation, HeFriendlinessAndCoefficients) {
  EXPECT_TRUE(Activation::square().he_friendly());
  EXPECT_TRUE(Activation::poly2(1, 2, 3, true).he_friendly());
  EXPECT_FALSE(Activation::relu().he_friendly());
  EXPECT_FALSE(Activation::sigmoid().he_friendly());
  const auto c = Activation::poly2(0.5f, -2.f, 0.25f, false).coefficients();
  EXPECT_EQ(c, (std::array<double, 3>{0.25, -2.0, 0.5}));
  EXPECT_EQ(Activation::square().coefficients(), (std::array<double, 3>{0, 0, 1}));
  EXPECT_THROW(Activation::relu().coefficients(), hepex::InvalidArgument);
  // The coefficients describe apply().
  for (const auto& a : {Activation::square(), Activation::identity(), Activation::poly2(0.3f, 0.7f, -0.1f, true)}) {
    const auto k = a.coefficients();
    for (float x : {-1.5f, 0.f, 0.4f, 2.f}) EXPECT_NEAR(a.apply(x), k[0] + k[1] * x + k[2] * x * x, 1e-6);
  }
}

TEST(Model, ForwardMatchesNaiveLoops) {
  const Model m = random_model("6-5-4-6:poly2", 1, true);
  RowMatrix x = RowMatrix::Random(3, 6);
  const RowMatrix y = m.forward(x);
  for (Eigen::Index s = 0; s < 3; ++s) {
    std::vector<double> a(x.row(s).data(), x.row(s).data() + 6);
    for (const auto& L : m.layers()) {
      std::vector<double> next(std::size_t(L.out()));
      for (Eigen::Index i = 0; i < L.out(); ++i) {
        double z = L.b(i);
        for (Eigen::Index j = 0; j < L.in(); ++j) z += double(L.W(i, j)) * a[std::size_t(j)];
        next[std::size_t(i)] = L.act.apply(float(z));
      }
      a = next;
    }
    for (Eigen::Index i = 0; i < 6; ++i) EXPECT_NEAR(y(s, i), a[std::size_t(i)], 1e-5);
  }
  EXPECT_THROW(m.forward(RowMatrix::Random(2, 5)), hepex::InvalidArgument);
}

TEST(Model, PermutationsMoveFeaturesAndPreserveTheFunction) {
  const Model m = random_model("5-4-3", 2);
  const RowMatrix x = RowMatrix::Random(4, 5);
  const RowMatrix y = m.forward(x);
  // Reorder the layers' weights to model order and record the permutations: the function is unchanged.
  Model p = m;
  const Permutation in = shuffled(5, 3), out = shuffled(3, 4);
  Matrix W0(4, 5), W1(3, 4);
  Vector b1(3);
  for (int j = 0; j < 5; ++j) W0.col(j) = m.layers()[0].W.col(in[std::size_t(j)]);
  for (int i = 0; i < 3; ++i) {
    W1.row(i) = m.layers()[1].W.row(out[std::size_t(i)]);
    b1(i) = m.layers()[1].b(out[std::size_t(i)]);
  }
  p.layers()[0].W = W0;
  p.layers()[1].W = W1;
  p.layers()[1].b = b1;
  p.set_input_perm(in);
  p.set_output_perm(out);
  EXPECT_LT((p.forward(x) - y).cwiseAbs().maxCoeff(), 1e-6f);
  // permute_input then unpermute_output of the model-order result is the same thing.
  EXPECT_LT((p.unpermute_output(p.forward_model(p.permute_input(x))) - y).cwiseAbs().maxCoeff(), 1e-6f);
  EXPECT_EQ(p.permute_input(x)(0, 0), x(0, in[0]));
  EXPECT_THROW(p.set_input_perm({0, 1, 2, 3, 3}), hepex::InvalidArgument);
  EXPECT_THROW(p.set_output_perm({0, 1}), hepex::InvalidArgument);
}

TEST(ModelFile, RoundTripIsBitwise) {
  Model m = random_model("12-8-4-8-12:poly2", 5, true);
  m.layers()[1].act.poly = {0.123456789f, -1e-30f, 3.5f};
  m.layers()[0].mask.resize(0, 0);  // one unmasked layer
  m.set_input_perm(shuffled(12, 6));
  m.set_output_perm(shuffled(12, 7));
  TempFile f;
  m.save(f.path.string());
  const Model r = Model::load(f.path.string());
  ASSERT_EQ(r.layers().size(), m.layers().size());
  for (std::size_t l = 0; l < m.layers().size(); ++l) {
    const auto &a = m.layers()[l], &b = r.layers()[l];
    EXPECT_TRUE(bitwise_equal(a.W, b.W));
    EXPECT_TRUE(bitwise_equal(a.b, b.b));
    EXPECT_TRUE(bitwise_equal(a.mask, b.mask));
    EXPECT_EQ(a.act, b.act);
  }
  EXPECT_EQ(r.input_perm(), m.input_perm());
  EXPECT_EQ(r.output_perm(), m.output_perm());
  EXPECT_EQ(r.serialize(), m.serialize());
  EXPECT_EQ(r.arch_string(), m.arch_string());
}

TEST(ModelFile, RecordsTheTrainingDataSetAndReadsOlderFilesAsUnknown) {
  Model m = random_model("6-4-6:square", 3);
  m.set_data_set("fashion-mnist");
  const auto bytes = m.serialize();
  EXPECT_EQ(Model::deserialize(bytes, "new.hpx").data_set(), "fashion-mnist");

  // A schema-1 file (written before the field existed): schema 1 at offset 40, no trailing name.
  m.set_data_set("");
  auto old = m.serialize();
  const std::uint32_t schema1 = 1;
  std::memcpy(old.data() + 40, &schema1, 4);
  old.resize(old.size() - sizeof(std::uint64_t) - sizeof(float));  // the empty name's length, the noise
  const Model r = Model::deserialize(old, "old.hpx");
  EXPECT_EQ(r.data_set(), "");
  EXPECT_EQ(r.arch_string(), m.arch_string());
  // A schema-1 file with the name appended is refused (trailing bytes), so the versions cannot be confused.
  auto mixed = bytes;
  std::memcpy(mixed.data() + 40, &schema1, 4);
  EXPECT_THROW(Model::deserialize(mixed, "mixed.hpx"), hepex::FormatError);
}

TEST(ModelFile, RecordsTheInputNoiseAndReadsSchema2FilesAsNoiseFree) {
  Model m = random_model("6-4-6:square", 4);
  m.set_data_set("mnist");
  m.set_input_noise(0.3f);
  const auto bytes = m.serialize();
  EXPECT_EQ(Model::deserialize(bytes, "new.hpx").input_noise(), 0.3f);

  // A schema-2 file (before the noise was recorded): schema 2 at offset 40, no trailing sigma.
  auto old = bytes;
  const std::uint32_t schema2 = 2;
  std::memcpy(old.data() + 40, &schema2, 4);
  old.resize(old.size() - sizeof(float));
  const Model r = Model::deserialize(old, "old.hpx");
  EXPECT_EQ(r.input_noise(), 0.f);
  EXPECT_EQ(r.data_set(), "mnist");

  // A negative or non-finite sigma is refused, in memory and in a file.
  EXPECT_THROW(m.set_input_noise(-0.1f), hepex::InvalidArgument);
  auto bad = bytes;
  const float negative = -1.f;
  std::memcpy(bad.data() + bad.size() - sizeof(float), &negative, sizeof(float));
  EXPECT_THROW(Model::deserialize(bad, "bad.hpx"), hepex::FormatError);
}

TEST(DataSetNames, FashionIsAnAliasAndUnknownNamesListTheKnownOnes) {
  EXPECT_EQ(canonical_data_name("fashion"), "fashion-mnist");
  EXPECT_EQ(canonical_data_name("mnist"), "mnist");
  EXPECT_EQ(canonical_data_name("some/dir"), (fs::current_path() / "some" / "dir").string());
  try {
    resolve_data_dir("no-such-data-set");
    FAIL();
  } catch (const hepex::IoError& e) {
    EXPECT_NE(std::string(e.what()).find("mnist, fashion-mnist (alias fashion)"), std::string::npos) << e.what();
  }
}

TEST(ModelFile, RefusesCorruptAndForeignFiles) {
  const Model m = random_model("6-4-6:square", 8, true);
  const auto good = m.serialize();
  // Every truncation is refused with an error naming the file (never a crash or a huge allocation).
  for (std::size_t n = 0; n < good.size(); ++n) {
    std::vector<std::uint8_t> cut(good.begin(), good.begin() + std::ptrdiff_t(n));
    try {
      Model::deserialize(cut, "cut.hpx");
      FAIL() << "accepted a file truncated to " << n << " bytes";
    } catch (const hepex::FormatError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("cut.hpx: ", 0), 0u) << e.what();
    }
  }
  auto trailing = good;
  trailing.push_back(0);
  EXPECT_THROW(Model::deserialize(trailing, "t.hpx"), hepex::FormatError);

  // Header offsets: magic 8, version 4, type 4, hash 8, key set 16 -> schema at 40, layer count at 44, layer 0 at 48.
  const auto patched = [&](std::size_t at, std::uint32_t v) {
    auto b = good;
    std::memcpy(b.data() + at, &v, 4);
    return b;
  };
  EXPECT_THROW(Model::deserialize(patched(40, 0), "s.hpx"), hepex::FormatError);          // schema
  EXPECT_THROW(Model::deserialize(patched(40, 4), "s.hpx"), hepex::FormatError);          // newer schema
  EXPECT_THROW(Model::deserialize(patched(44, 0), "s.hpx"), hepex::FormatError);          // no layers
  EXPECT_THROW(Model::deserialize(patched(44, 1u << 30), "s.hpx"), hepex::FormatError);  // absurd count
  EXPECT_THROW(Model::deserialize(patched(48, 1u << 20), "s.hpx"), hepex::FormatError);  // width vs data left
  EXPECT_THROW(Model::deserialize(patched(52, 5), "s.hpx"), hepex::FormatError);          // next layer disagrees
  EXPECT_THROW(Model::deserialize(patched(56, 9), "s.hpx"), hepex::FormatError);          // activation kind
  // A mask byte other than 0/1: the first mask byte follows W, b and the flag of layer 0.
  auto mask = good;
  mask[48 + 12 + 1 + 12 + 4 * (24 + 4) + 1] = 2;
  EXPECT_THROW(Model::deserialize(mask, "m.hpx"), hepex::FormatError);

  // A valid hepex file of another type, and a file that is not hepex at all.
  hepex::io::BinaryWriter w;
  w.write_header({hepex::io::kFormatVersion, hepex::io::ObjectType::kCiphertext, 0});
  w.write<std::uint64_t>(0);
  try {
    Model::deserialize(w.bytes(), "ct.bin");
    FAIL();
  } catch (const hepex::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("ct.bin"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("ciphertext"), std::string::npos);
  }
  EXPECT_THROW(Model::deserialize(std::vector<std::uint8_t>(100, 'x'), "junk"), hepex::FormatError);
  EXPECT_THROW(Model::load("/nonexistent/dir/model.hpx"), hepex::IoError);
}
