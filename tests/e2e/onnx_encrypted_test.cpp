// End to end: PyTorch -> ONNX -> hepex (-> HE-aware pruning -> ONNX), run under real CKKS encryption. The
// decrypted outputs equal the imported model's plaintext outputs (which equal PyTorch's to 1e-5), so they
// equal PyTorch's to 1e-4.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "../onnx/onnx_test_util.hpp"
#include "../prune/prune_test_util.hpp"
#include "session/local_run.hpp"
#include "onnx/export.hpp"
#include "onnx/import.hpp"
#include "prune/pipeline.hpp"

using namespace hepex;

namespace {
infer::Report run_small_ring(const nn::Model& model, const nn::RowMatrix& x) {
  infer::PlanOptions ring;
  ring.ring_degree = 1024;  // small and insecure: a test, not a deployment
  ring.insecure = true;
  ring.max_scale_bits = 36;
  const auto count = std::size_t(x.rows());
  const infer::Plan plan = infer::make_plan(model, 2, 4, count, ring);
  LocalRunOptions o;
  o.key_seed = seed_from_u64(3);
  const std::vector<double> samples(x.data(), x.data() + x.size());
  return run_locally(model, plan, samples, count, o).report;
}
}  // namespace

TEST(OnnxEncrypted, PyTorchModelsRunEncrypted) {
  const std::string dir = onnx::test::reference_dir();
  ASSERT_FALSE(HasFatalFailure());
  for (const char* name : {"poly_abc", "matmul_add", "flatten_image", "feature_scale"}) {
    SCOPED_TRACE(name);
    const nn::Model model = onnx::import_onnx_file(dir + "/" + name + ".onnx");
    const auto x = onnx::test::read_f32(dir + "/" + name + ".in.f32", model.input_size());
    const auto y_torch = onnx::test::read_f32(dir + "/" + name + ".out.f32", model.output_size());
    ASSERT_LE(onnx::test::max_error(model.forward(x), y_torch), 1e-5);

    const infer::Report r = run_small_ring(model, x);
    EXPECT_LT(r.max_abs_error, 1e-4 - 1e-5);  // + the 1e-5 above: within 1e-4 of PyTorch
    EXPECT_GT(r.max_abs_error, 0.0);          // real encryption noise
  }
}

// The whole path: a PyTorch autoencoder is imported, pruned with P4E + saliency (neurons permuted,
// tiles dropped, fine-tuned), run encrypted, and exported back; the ONNX file computes the pruned model's
// function on original-order inputs (onnx.checker, numpy and torch in make_models.py check).
TEST(OnnxEncrypted, ImportedModelPrunesRunsEncryptedAndExportsInOriginalOrder) {
  const std::string dir = onnx::test::reference_dir();
  ASSERT_FALSE(HasFatalFailure());
  const nn::Model dense = onnx::import_onnx_file(dir + "/autoencoder32.onnx");
  ASSERT_EQ(dense.input_size(), 32);
  const nn::Dataset train = prune::testing::synthetic(256, 1);
  prune::PruneConfig cfg;
  cfg.method = prune::Method::kP4E;
  cfg.t1 = 2;
  cfg.t2 = 4;
  cfg.fraction = 0.6;
  cfg.saliency = true;
  cfg.finetune.epochs = 1;
  cfg.finetune.batch = 32;
  prune::PruneReport report;
  const nn::Model pruned = prune::prune_model(dense, train, nn::Dataset{}, cfg, report);
  ASSERT_LT(report.tiles_kept, report.tiles_total);
  ASSERT_FALSE(pruned.input_perm().empty());

  const nn::RowMatrix x = prune::testing::synthetic(16, 9).images;
  EXPECT_LT(run_small_ring(pruned, x).max_abs_error, 1e-4);

  const std::string out = "onnx_e2e_" + std::to_string(::getpid());
  std::filesystem::create_directories(out);
  onnx::export_onnx_file(pruned, out + "/pruned.onnx");
  onnx::test::write_f32(out + "/x.f32", x);
  onnx::test::write_f32(out + "/y.f32", pruned.forward(x));
  onnx::test::run_or_fail(onnx::test::kPython + " " + onnx::test::kScript + " check " + out + "/pruned.onnx " + out +
                          "/x.f32 " + out + "/y.f32");
  const nn::Model back = onnx::import_onnx_file(out + "/pruned.onnx");
  EXPECT_LE(onnx::test::max_error(back.forward(x), pruned.forward(x)), 1e-5);
  std::filesystem::remove_all(out);
}
