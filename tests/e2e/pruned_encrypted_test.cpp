// End to end: a model pruned by prune_model (permuted, tiles dropped, expanded, fine-tuned) runs under
// real CKKS encryption and gives its plaintext outputs, with the dropped tiles never computed.
#include <gtest/gtest.h>

#include "../prune/prune_test_util.hpp"
#include "session/local_run.hpp"
#include "nn/trainer.hpp"
#include "prune/pipeline.hpp"

using namespace hepex;

TEST(PrunedEncrypted, EncryptedOutputEqualsPlaintextOutput) {
  const nn::Dataset train = prune::testing::synthetic(256, 1);
  const nn::Model dense = prune::testing::trained_dense(train);
  for (bool saliency : {false, true}) {
    SCOPED_TRACE(saliency ? "P4E/sal" : "P4E");
    prune::PruneConfig cfg;
    cfg.method = prune::Method::kP4E;
    cfg.t1 = 2;
    cfg.t2 = 4;
    cfg.fraction = 0.8;
    cfg.saliency = saliency;
    cfg.finetune.epochs = 1;
    cfg.finetune.batch = 32;
    prune::PruneReport report;
    const nn::Model pruned = prune::prune_model(dense, train, nn::Dataset{}, cfg, report);
    ASSERT_LT(report.tiles_kept, report.tiles_total);
    ASSERT_FALSE(pruned.input_perm().empty());  // the client-side permutation is exercised

    infer::PlanOptions ring;
    ring.ring_degree = 1024;  // small and insecure: a test, not a deployment
    ring.insecure = true;
    ring.max_scale_bits = 36;
    const std::size_t count = 40;
    const infer::Plan plan = infer::make_plan(pruned, cfg.t1, cfg.t2, count, ring);
    const nn::Dataset test = prune::testing::synthetic(count, 9);
    std::vector<double> x(test.images.data(), test.images.data() + test.images.size());
    LocalRunOptions o;
    o.key_seed = seed_from_u64(5);
    const infer::Report r = run_locally(pruned, plan, x, count, o).report;

    EXPECT_LT(r.max_abs_error, 1e-4);
    EXPECT_GT(r.max_abs_error, 0.0);  // real encryption noise
    // The plaintext reference is the pruned model itself.
    EXPECT_NEAR(r.plain_mse_vs_input, nn::evaluate(pruned, test, nn::Loss::kMse).loss, 1e-6);
    EXPECT_NEAR(r.mse_vs_input, r.plain_mse_vs_input, 1e-6);
    // Dropped tiles are skipped (dead tile rows may fold away even more).
    EXPECT_EQ(r.tiles_total, static_cast<std::size_t>(report.tiles_total));
    EXPECT_LE(r.tiles_kept, static_cast<std::size_t>(report.tiles_kept));
  }
}
