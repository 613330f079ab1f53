#include "prune_options.hpp"

#include "number_check.hpp"

namespace hepex::cli {

void add_prune_options(CLI::App* sub, prune::PruneConfig& c, PruneTextOptions& text) {
  sub->add_option("--scope", text.scope, "Ranking scope: global (Gl) or layer (Lc)")->capture_default_str();
  sub->add_option("--score", text.score, "Tile score for P2/P3: min, max, mean or l2")->capture_default_str();
  sub->add_option("--threshold", c.density_threshold, "P4/P4E: drop tiles with density at or below this")
      ->check(real_in(0, 0.9999))
      ->capture_default_str();
  sub->add_option("--guide-fraction", c.guide_fraction,
                  "P3: unstructured fraction of the mask that guides the permutation (0: the prune fraction)")
      ->check(real_in(0, 0.9999))
      ->capture_default_str();
  sub->add_option("--steps", c.steps, "Gradual schedule: prune/fine-tune steps (1 = one-shot)")
      ->check(whole_in(1, 100))
      ->capture_default_str();
  sub->add_option("--rounds", c.permute.rounds, "Permutation rounds over all dimensions")
      ->check(whole_in(0, 1000))
      ->capture_default_str();
  sub->add_option("--swap-passes", c.permute.swap_passes, "Swap-descent passes per dimension (0 = k-means only)")
      ->check(whole_in(0, 1000))
      ->capture_default_str();
  sub->add_option("--epochs", c.finetune.epochs, "Fine-tuning epochs per phase")->check(whole_in(0, kMaxEpochs))->capture_default_str();
  sub->add_option("--lr", c.finetune.lr, "Fine-tuning learning rate")->check(real_above(0, kMaxLearningRate))->capture_default_str();
  sub->add_option("--lr-decay", c.finetune.lr_decay, "Fine-tuning learning-rate factor per epoch")
      ->check(real_in(0.01, 1))
      ->capture_default_str();
  sub->add_option("--batch", c.finetune.batch, "Fine-tuning minibatch size")->check(whole_in(1, kMaxMinibatch))->capture_default_str();
}

void apply_prune_options(prune::PruneConfig& c, const PruneTextOptions& text) {
  c.scope = prune::parse_scope(text.scope);
  c.score = prune::parse_tile_score(text.score);
}

}  // namespace hepex::cli
