#pragma once
// The pruning methods, named as in reports (PAPER.md section 3):
//   P1   unstructured magnitude pruning                                   -> fine-tune
//   P2   whole-tile pruning by tile score, no permutation (our adaptation of Hunter) -> fine-tune
//   P3   permute (guided by the unstructured mask at the same fraction, or at guide_fraction) -> tile
//        pruning -> fine-tune
//   P4   unstructured -> fine-tune -> permute -> drop almost-empty tiles  -> fine-tune
//   P4E  P4, but the tiles that survive are expanded (every weight re-enabled from its dense value)
//        before the last fine-tune: a kept tile costs the same under HE whether sparse or dense.
//   P4/P4E with row_fraction > 0: after the tiles are dropped, whole tile rows too (prune_tile_rows):
//        under compact weights a layer's time is mostly per live tile row, not per tile.
// Any method can rank by data saliency and per HE cost instead of |w| (PruneConfig::saliency, layer_cost);
// reports then name it with the suffix "/sal" (e.g. "P3/sal").
// Every fine-tune keeps the masks fixed. The total number of fine-tuning epochs is reported so that the
// dense baseline can be fine-tuned equally long (delta MSE never credits extra training).
#include <functional>
#include <string>
#include <vector>

#include "nn/dataset.hpp"
#include "nn/model.hpp"
#include "nn/trainer.hpp"
#include "prune/masks.hpp"
#include "prune/permutation.hpp"

namespace hepex::prune {

enum class Method { kP1, kP2, kP3, kP4, kP4E };

// Gradual pruning: the fraction reached after step i of K. Linear: F i / K. Cubic (Zhu and Gupta 2017):
// F (1 - (1 - i/K)^3), large steps first while much redundancy is left, small ones near the target.
enum class Schedule { kLinear, kCubic };
Schedule parse_schedule(const std::string& text);  // "linear", "cubic"
const char* schedule_name(Schedule s);
// The K fractions of a schedule, increasing, the last exactly `fraction`.
std::vector<double> schedule_fractions(double fraction, int steps, Schedule schedule);
// Fine-tuning epochs of each of `steps` steps when `epochs` are split across them: as even as possible,
// later steps get the remainder (they prune at the highest fractions), summing to `epochs`.
std::vector<int> split_epochs(int epochs, int steps);
Method parse_method(const std::string& text);  // "P1".."P4E" (case-insensitive)
const char* method_name(Method m);
std::vector<Method> all_methods();

struct PruneConfig {
  Method method = Method::kP4E;
  int t1 = 4, t2 = 8;          // tile shape t1 x t2 (see tiling.hpp for the orientation)
  double fraction = 0.9;       // P1/P4/P4E: weights pruned; P2/P3: tiles pruned
  Scope scope = Scope::kGlobal;
  TileScore score = TileScore::kL2;  // P2/P3
  double density_threshold = 0.0625; // P4/P4E: tiles at or below this density are dropped
  double row_fraction = 0;           // P4/P4E: then this fraction of tile rows is emptied (prune_tile_rows)
  std::vector<double> row_layer_cap; // ... at most this fraction of each layer's tile rows (Ranking::layer_cap:
                                     // empty none, one for all, or one per layer; the global ranking otherwise
                                     // empties the output layer's rows first)
  int steps = 1;                     // > 1: gradual: prune to schedule_fractions(..)[i], re-rank, fine-tune
  Schedule schedule = Schedule::kLinear;  // of the gradual steps; the fine-tuning epochs are split across them
  std::vector<double> layer_cap;     // at most this fraction of each layer's weights / tiles removed (Ranking:
                                     // empty none, one for all, or one per layer; tile rows have row_layer_cap)
  double guide_fraction = 0;         // P3: unstructured fraction of the permutation's guide (0: = fraction)
  bool saliency = false;             // rank by data saliency (saliency.hpp) instead of |w| / tile score
  std::vector<double> layer_cost;    // HE cost of one tile per layer (empty: uniform); see masks.hpp Ranking
  PermuteOptions permute;
  nn::TrainConfig finetune;          // one fine-tuning phase (epochs = per phase); finetune.distill.alpha > 0
                                     // distils from the dense model (the pipeline sets the teacher)
};

struct LayerTiles {
  Eigen::Index before = 0, after = 0, total = 0;
};

struct PruneReport {
  std::string method;
  double fraction = 0;
  int t1 = 0, t2 = 0;
  std::vector<LayerTiles> layers;
  Eigen::Index tiles_kept = 0, tiles_total = 0;
  Eigen::Index permute_tiles_before = 0, permute_tiles_after = 0;  // the permutation's gain (P3/P4/P4E)
  double weight_density = 0;  // alive weights / all weights, at the end
  int finetune_epochs = 0;    // total fine-tuning epochs run
  int finetune_phases = 0;    // in this many phases (each restarts the learning-rate schedule)
  std::vector<int> phase_epochs;  // epochs of each phase, in order (the baseline repeats them)
  std::vector<nn::EpochStats> history;  // all fine-tuning epochs, in order
};

// Called with a short phase description ("prune 0.90", "fine-tune 2/3", "permute") as work starts.
using PhaseCallback = std::function<void(const std::string&)>;

// Prunes a copy of `dense` with the configured method; returns the pruned model (masks set, permutations
// stored in the model) and fills `report`. `val` may be empty.
nn::Model prune_model(const nn::Model& dense, const nn::Dataset& train, const nn::Dataset& val,
                      const PruneConfig& config, PruneReport& report, const PhaseCallback& on_phase = {},
                      const nn::EpochCallback& on_epoch = {});

// The seed of the fine-tuning phase that starts after `epochs_before` epochs: a fresh order per phase.
std::uint64_t phase_seed(std::uint64_t seed, int epochs_before);

// The quality the dense model reaches when fine-tuned exactly as a pruned model was: `phases` phases of
// finetune.epochs epochs, each restarting the learning-rate schedule, with the same seeds. The baseline
// that delta MSE compares against, so neither extra training nor extra learning-rate restarts pass for
// pruning quality. Returns the loss of the configured kind on `test`.
double equally_trained_dense_loss(const nn::Model& dense, const nn::Dataset& train, const nn::Dataset& val,
                                  const nn::Dataset& test, const nn::TrainConfig& finetune, int phases,
                                  const nn::EpochCallback& on_epoch = {});
// The same baseline model for phases of different lengths (PruneReport::phase_epochs: gradual pruning splits
// the epochs), to evaluate on validation and test data alike. With finetune.distill.alpha > 0 it distils from
// `dense` as the pruned model did.
nn::Model equally_trained_dense(const nn::Model& dense, const nn::Dataset& train, const nn::Dataset& val,
                                const nn::TrainConfig& finetune, const std::vector<int>& phase_epochs,
                                const nn::EpochCallback& on_epoch = {});

}  // namespace hepex::prune
