// End to end: PyTorch -> ONNX -> hepex, run under real CKKS encryption. The decrypted outputs equal the
// imported model's plaintext outputs (which tests/onnx/import_test.cpp checks against PyTorch to 1e-5), so
// they equal PyTorch's to 1e-4.
#include <gtest/gtest.h>

#include "../onnx/onnx_test_util.hpp"
#include "infer/run.hpp"
#include "onnx/import.hpp"

using namespace hepex;

TEST(OnnxEncrypted, PyTorchModelsRunEncrypted) {
  const std::string dir = onnx::test::reference_dir();
  ASSERT_FALSE(HasFatalFailure());
  for (const char* name : {"poly_abc", "matmul_add", "flatten_image", "feature_scale"}) {
    SCOPED_TRACE(name);
    const nn::Model model = onnx::import_onnx_file(dir + "/" + name + ".onnx");
    const auto x = onnx::test::read_f32(dir + "/" + name + ".in.f32", model.input_size());
    const auto y_torch = onnx::test::read_f32(dir + "/" + name + ".out.f32", model.output_size());
    ASSERT_LE(onnx::test::max_error(model.forward(x), y_torch), 1e-5);

    infer::PlanOptions ring;
    ring.ring_degree = 1024;  // small and insecure: a test, not a deployment
    ring.insecure = true;
    ring.max_scale_bits = 36;
    const auto count = std::size_t(x.rows());
    const infer::Plan plan = infer::make_plan(model, 2, 4, count, ring);
    infer::RunOptions o;
    o.key_seed = seed_from_u64(3);
    const std::vector<double> samples(x.data(), x.data() + x.size());
    const infer::Report r = infer::run_encrypted(model, plan, samples, count, o);
    EXPECT_LT(r.max_abs_error, 1e-4 - 1e-5);  // + the 1e-5 above: within 1e-4 of PyTorch
    EXPECT_GT(r.max_abs_error, 0.0);          // real encryption noise
  }
}
