// ONNX export: exact round trip through import; a pruned, permuted model exports in the user's original
// neuron order (checked with hepex's own forward and, independently, with onnx.checker + numpy + torch).
#include "onnx/export.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <numeric>

#include "onnx/import.hpp"
#include "onnx_test_util.hpp"
#include "util/csprng.hpp"
#include "util/error.hpp"

namespace hepex::onnx {
namespace {

nn::Model random_model(const std::string& arch, std::uint64_t seed) {
  nn::Model m = nn::Model::from_arch(arch);
  Csprng rng(seed_from_u64(seed));
  m.init_glorot(rng);
  for (auto& l : m.layers())
    for (Eigen::Index i = 0; i < l.b.size(); ++i) l.b[i] = float(rng.next_double() - 0.5);
  return m;
}

nn::Permutation random_permutation(std::size_t n, Csprng& rng) {
  nn::Permutation p(n);
  std::iota(p.begin(), p.end(), 0u);
  for (std::size_t i = n; i-- > 1;) std::swap(p[i], p[std::size_t(rng.next_double() * double(i + 1)) % (i + 1)]);
  return p;
}

nn::RowMatrix random_inputs(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  Csprng rng(seed_from_u64(seed));
  nn::RowMatrix x(rows, cols);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = float(2.0 * rng.next_double() - 1.0);
  return x;
}

// A pruned-looking model: masks with about half the weights removed, and both permutations set.
nn::Model pruned_permuted_model() {
  nn::Model m = random_model("12-10-8-6:poly2@0.5/0.25/0.1,square,identity", 5);
  Csprng rng(seed_from_u64(6));
  for (auto& l : m.layers()) {
    l.mask = nn::Matrix(l.out(), l.in());
    for (Eigen::Index i = 0; i < l.mask.size(); ++i) l.mask.data()[i] = rng.next_double() < 0.5 ? 0.f : 1.f;
    l.apply_mask();
  }
  m.set_input_perm(random_permutation(12, rng));
  m.set_output_perm(random_permutation(6, rng));
  return m;
}

TEST(OnnxExport, RoundTripIsExact) {
  nn::Model m = random_model("12-10-8-9-6:square,poly2,poly2@0.5/-0.25/0.125,identity", 1);
  m.layers()[1].act.poly = {0.3f, -0.2f, 0.05f};  // as if trained
  const nn::Model back = import_onnx_bytes(export_onnx_bytes(m), "roundtrip.onnx");
  ASSERT_EQ(back.layers().size(), m.layers().size());
  for (std::size_t l = 0; l < m.layers().size(); ++l) {
    EXPECT_TRUE(back.layers()[l].W == m.layers()[l].W) << "layer " << l;  // bitwise
    EXPECT_TRUE(back.layers()[l].b == m.layers()[l].b) << "layer " << l;
    EXPECT_EQ(back.layers()[l].act, m.layers()[l].act) << "layer " << l;  // kind, coefficients, trainable
  }
  EXPECT_TRUE(back.input_perm().empty());
  EXPECT_TRUE(back.output_perm().empty());
}

TEST(OnnxExport, PermutationsAreFoldedIntoTheWeights) {
  const nn::Model m = pruned_permuted_model();
  const nn::Model back = import_onnx_bytes(export_onnx_bytes(m), "permuted.onnx");
  const auto x = random_inputs(9, 12, 7);
  EXPECT_LE(test::max_error(back.forward(x), m.forward(x)), 1e-5);
  // The check can fail: the model-order function differs from the original-order one.
  EXPECT_GT(test::max_error(m.forward_model(x), m.forward(x)), 1e-2);
}

TEST(OnnxExport, PyTorchAndNumpyComputeTheModelsFunction) {
  const nn::Model m = pruned_permuted_model();
  const std::string dir = "onnx_export_check" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  export_onnx_file(m, dir + "/model.onnx");
  const auto x = random_inputs(9, 12, 8);
  test::write_f32(dir + "/x.f32", x);
  test::write_f32(dir + "/y.f32", m.forward(x));
  test::run_or_fail(test::kPython + " " + test::kScript + " check " + dir + "/model.onnx " + dir + "/x.f32 " + dir +
                    "/y.f32");
  // And the checker really compares: the model-order outputs are refused.
  test::write_f32(dir + "/y.f32", m.forward_model(x));
  EXPECT_NE(std::system((test::kPython + " " + test::kScript + " check " + dir + "/model.onnx " + dir + "/x.f32 " +
                         dir + "/y.f32 2>/dev/null")
                            .c_str()),
            0);
  std::filesystem::remove_all(dir);
}

TEST(OnnxExport, RefusesNonPolynomialActivationsAndWritesNothing) {
  const nn::Model m = random_model("8-4-2:relu", 2);
  const std::string path = "onnx_export_relu" + std::to_string(::getpid()) + ".onnx";
  EXPECT_THROW(export_onnx_file(m, path), InvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_THROW(export_onnx_file(random_model("8-4-2:square", 2), "no_such_dir/x.onnx"), IoError);
}

}  // namespace
}  // namespace hepex::onnx
