#include "prune_options.hpp"

#include "number_check.hpp"

namespace hepex::cli {

void add_prune_options(CLI::App* sub, prune::PruneConfig& c, PruneTextOptions& text) {
  sub->add_option("--scope", text.scope, "Ranking scope: global (Gl) or layer (Lc)")->capture_default_str();
  sub->add_option("--score", text.score, "Tile score for P2/P3: min, max, mean or l2")->capture_default_str();
  sub->add_option("--threshold", c.density_threshold, "P4/P4E: drop tiles with density at or below this")
      ->check(real_in(0, 0.9999))
      ->capture_default_str();
  sub->add_option("--row-fraction", c.row_fraction,
                  "P4/P4E: after dropping tiles, empty this fraction of whole tile rows (groups of output neurons: "
                  "the encrypted executor skips a dead row's rotations, rescale and square), lowest score first")
      ->check(real_in(0, 0.9999))
      ->capture_default_str();
  sub->add_option("--row-layer-cap", c.row_layer_cap,
                  "With --row-fraction: empty at most this fraction of any one layer's tile rows, or one cap per "
                  "layer, comma-separated (0 keeps a layer's rows: 0,0.3,0.3,0 empties only the middle layers'); "
                  "the global ranking moves on to other layers (default: no cap; without one it may empty most of "
                  "the output layer). An error if the caps cannot reach --row-fraction")
      ->delimiter(',')
      ->check(real_in(0, 1));
  sub->add_option("--guide-fraction", c.guide_fraction,
                  "P3: unstructured fraction of the mask that guides the permutation (0: the prune fraction)")
      ->check(real_in(0, 0.9999))
      ->capture_default_str();
  sub->add_option("--steps", c.steps,
                  "Gradual pruning: prune/fine-tune steps, saliency re-measured and re-ranked between them; the "
                  "fine-tuning epochs are split across the steps (1 = one-shot)")
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

void add_method_options(CLI::App* sub, prune::PruneConfig& c, MethodTextOptions& text) {
  sub->add_option("--schedule", text.schedule,
                  "Gradual pruning (--steps K): fraction after step i, linear F i/K or cubic F (1 - (1 - i/K)^3)")
      ->check(CLI::IsMember({"linear", "cubic"}))
      ->capture_default_str();
  sub->add_option("--layer-cap", c.layer_cap,
                  "Remove at most this fraction of any one layer's weights (P1/P4/P4E) or tiles (P2/P3), or one cap "
                  "per layer, comma-separated (0 keeps a layer whole); the global ranking moves on to other layers "
                  "(default: no cap; tile rows: --row-layer-cap). An error if the caps cannot reach --fraction")
      ->delimiter(',')
      ->check(real_in(0, 1));
  sub->add_option("--distill", c.finetune.distill.alpha,
                  "Knowledge distillation while fine-tuning: loss = (1-a) task + a distill, from the dense model "
                  "(MSE to its outputs for autoencoders, soft-target cross-entropy for classifiers); 0 = off")
      ->check(real_in(0, 1))
      ->capture_default_str();
  sub->add_option("--temperature", c.finetune.distill.temperature,
                  "Distillation temperature T for classifiers (the soft-target term is scaled by T^2)")
      ->check(real_in(0.01, 100))
      ->capture_default_str();
}

void apply_method_options(prune::PruneConfig& c, const MethodTextOptions& text) {
  c.schedule = prune::parse_schedule(text.schedule);
}

}  // namespace hepex::cli
