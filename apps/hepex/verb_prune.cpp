// `hepex prune`: HE-aware pruning of a trained model (P1..P4E), with the quality delta against the dense
// model fine-tuned in the same phases, on the validation split (for choosing among runs) and on the test set
// (for reporting), and the HE cost kept.
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "data_choice.hpp"
#include "nn/job.hpp"
#include "prune/pipeline.hpp"
#include "prune/tile_choice.hpp"
#include "prune/tiling.hpp"
#include "number_check.hpp"
#include "prune_options.hpp"
#include "util/error.hpp"
#include "util/progress.hpp"
#include "model_input.hpp"
#include "io/safe_file.hpp"
#include "session/pruning.hpp"
#include "verb.hpp"

namespace {
using namespace hepex;

struct PruneOptions {
  std::string model, out, report, data;  // data empty: the model's recorded data set
  std::string method = "P4E", tile = "4x8";
  std::vector<std::string> tile_shapes;  // not empty: choose among them (prune::choose_tile_shape)
  double cost_budget = 0;                // of the dense model's cost (shape_cost), with tile_shapes
  std::string shape_cost = "latency";    // the tile-shape choice's cost: the planner's latency, or "he"
  cli::PruneTextOptions text;
  cli::MethodTextOptions method_text;
  prune::PruneConfig config;
  float noise = -1.f;  // negative: the model's recorded noise
  bool cost_aware = false;
  double val_split = 0.1;
  std::uint64_t seed = 1;
  bool baseline = true;
};

// Quality of the pruned model and of its baseline on one split (the baseline's fields only with a baseline).
struct SplitQuality {
  nn::EvalResult pruned, dense;
};

nlohmann::json quality_json(const SplitQuality& q, bool baseline, bool classifier) {
  nlohmann::json j = {{"loss_pruned", q.pruned.loss}};
  if (classifier) j["accuracy_pruned"] = q.pruned.accuracy;
  if (baseline) {
    j["loss_dense"] = q.dense.loss;
    j["delta_loss"] = q.pruned.loss - q.dense.loss;
    if (classifier) {
      j["accuracy_dense"] = q.dense.accuracy;
      j["delta_accuracy"] = q.pruned.accuracy - q.dense.accuracy;
    }
  }
  return j;
}

// What the tile-shape choice's cost is called in its table and report.
const char* shape_cost_name(const std::string& shape_cost) {
  return shape_cost == "he" ? "per-sample HE cost" : "planned latency";
}

// The joint tile-shape choice: every candidate, and the budget it was held to.
nlohmann::json tile_choice_json(const prune::TileShapeChoice& choice, double budget, const std::string& shape_cost) {
  nlohmann::json candidates = nlohmann::json::array();
  for (const auto& c : choice.candidates) {
    nlohmann::json j = {{"tile", std::to_string(c.t1) + "x" + std::to_string(c.t2)}, {"fits", c.fits},
                        {"fraction", c.fraction}, {"cost", c.cost}};
    if (c.fits) j["val_loss"] = c.val_loss;
    candidates.push_back(j);
  }
  return {{"budget", budget}, {"cost_measure", shape_cost_name(shape_cost)}, {"chosen", choice.best},
          {"candidates", candidates}};
}

void print_tile_choice(const prune::TileShapeChoice& choice, double budget, const std::string& shape_cost) {
  const auto& first = choice.candidates.front();
  std::printf("tile shape choice: %s within %.3g of the dense model's at %dx%d\n", shape_cost_name(shape_cost), budget,
              first.t1, first.t2);
  std::printf("%-6s %5s %9s %16s %12s\n", "tile", "fits", "fraction", "cost kept", "val loss");
  for (std::size_t i = 0; i < choice.candidates.size(); ++i) {
    const auto& c = choice.candidates[i];
    const std::string tile = std::to_string(c.t1) + "x" + std::to_string(c.t2);
    std::printf("%-6s %5s %9.4f %16.4f %12.6g%s\n", tile.c_str(), c.fits ? "yes" : "no", c.fraction, c.cost,
                c.val_loss, i == choice.best ? "  <- chosen (least val loss)" : "");
  }
}

nlohmann::json report_json(const prune::PruneReport& r, const SplitQuality& val, const SplitQuality& test,
                           const HeCost& cost, const std::optional<PlannedLatency>& planned, bool baseline,
                           bool classifier) {
  nlohmann::json j = prune_report_json(r);
  // mse_* are the test loss of any task (the name predates classifiers; the sweep's CSV reads it).
  j["mse_pruned"] = test.pruned.loss;
  if (baseline) {
    j["mse_dense"] = test.dense.loss;
    j["delta_mse"] = test.pruned.loss - test.dense.loss;
  }
  j["cost_kept"] = cost.kept;
  j["cost_total"] = cost.total;
  if (planned) j["planned_latency"] = {{"dense_s", planned->dense_s}, {"pruned_s", planned->pruned_s}};
  if (val.pruned.loss == val.pruned.loss) j["val"] = quality_json(val, baseline, classifier);
  j["test"] = quality_json(test, baseline, classifier);
  return j;
}

// "val  cross-entropy: pruned 0.0812, dense 0.0790, delta +0.0022; accuracy: pruned 97.53%, dense 97.80%,
// delta -0.27 points" (no dense part without a baseline).
void print_quality(const char* split, const std::string& data, nn::Loss loss, const SplitQuality& q, bool baseline) {
  std::printf("%-4s %s on %s: pruned %.6g", split, nn::loss_name(loss), data.c_str(), q.pruned.loss);
  if (baseline) std::printf(", dense %.6g, delta %+.3g", q.dense.loss, q.pruned.loss - q.dense.loss);
  if (loss == nn::Loss::kSoftmaxCrossEntropy) {
    std::printf("; accuracy: pruned %.2f%%", 100.0 * q.pruned.accuracy);
    if (baseline)
      std::printf(", dense %.2f%%, delta %+.2f points", 100.0 * q.dense.accuracy,
                  100.0 * (q.pruned.accuracy - q.dense.accuracy));
  }
  std::printf("\n");
}

std::string fmt_noise(float sigma) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", double(sigma));
  return buf;
}

void run(PruneOptions& o) {
  // Outputs are checked before the work, so a bad path fails in a second, not after it.
  for (const auto* path : {&o.out, &o.report})
    if (!path->empty()) io::check_destination(*path);
  const nn::Model dense = hepex::cli::load_model_any(o.model);
  const nn::Task task = nn::infer_task(dense);
  auto& cfg = o.config;
  cfg.method = prune::parse_method(o.method);
  std::tie(cfg.t1, cfg.t2) = prune::parse_tile_shape(o.tile);
  cli::apply_prune_options(cfg, o.text);
  cli::apply_method_options(cfg, o.method_text);
  cfg = prune_config_for(dense, cfg, o.cost_aware, o.seed);

  nn::TrainJob job;
  job.data = cli::data_set_for(dense, o.data, o.model);
  job.task = task;
  job.noise = cli::input_noise_for(dense, o.noise);
  job.val_split = o.val_split;
  job.seed = o.seed;
  const nn::JobData data = nn::load_job_data(job);

  const bool quiet = cli::global_options().quiet;
  ProgressLine progress(stderr, quiet);
  const auto epoch_printer = [&](int epochs) {
    return [&progress, epochs, loss = cfg.finetune.loss](const nn::EpochStats& s) {
      progress.step(nn::format_epoch(s, epochs, loss));
    };
  };
  prune::PruneReport report;
  nn::Model pruned;
  std::optional<prune::TileShapeChoice> choice;
  if (o.tile_shapes.empty()) {
    pruned = prune::prune_model(dense, data.train, data.val, cfg, report,
                                [&](const std::string& phase) { progress.step(report.method + ": " + phase); },
                                epoch_printer(cfg.finetune.epochs));
  } else {
    std::vector<std::pair<int, int>> shapes;
    for (const auto& text : o.tile_shapes) shapes.push_back(prune::parse_tile_shape(text));
    progress.step("tile shape choice: " + std::to_string(shapes.size()) + " shapes, fraction search and fine-tuning");
    choice = prune::choose_tile_shape(dense, data.train, data.val, shapes, o.cost_budget, cfg,
                                      [&](int t1, int t2) { return he_tile_costs(dense, t1, t2); },
                                      o.shape_cost == "he" ? prune::ModelCostFn{} : planned_latency_cost(dense));
    // From here on the chosen shape and its fraction are the run's, as if given by --tile and --fraction.
    pruned = std::move(choice->model);
    report = std::move(choice->report);
    std::tie(cfg.t1, cfg.t2) = shapes[choice->best];
    cfg.fraction = choice->candidates[choice->best].fraction;
    if (o.cost_aware) cfg.layer_cost = he_tile_costs(dense, cfg.t1, cfg.t2);
  }
  const nn::Loss loss = cfg.finetune.loss;
  const bool has_val = data.val.size() > 0;
  SplitQuality val, test;
  test.pruned = nn::evaluate(pruned, data.test, loss);
  if (has_val) val.pruned = nn::evaluate(pruned, data.val, loss);
  if (o.baseline) {
    // Same training: the dense model fine-tuned in the same phases as the pruned one.
    if (report.finetune_epochs > 0)
      progress.step("dense baseline: fine-tune " + std::to_string(report.finetune_phases) + " phases, " +
                    std::to_string(report.finetune_epochs) + " epochs");
    const nn::Model tuned = prune::equally_trained_dense(dense, data.train, data.val, cfg.finetune,
                                                         report.phase_epochs, epoch_printer(cfg.finetune.epochs));
    test.dense = nn::evaluate(tuned, data.test, loss);
    if (has_val) val.dense = nn::evaluate(tuned, data.val, loss);
  }
  const HeCost cost = he_cost(report, he_tile_costs(dense, cfg.t1, cfg.t2));
  const auto planned = planned_latency(dense, pruned, cfg.t1, cfg.t2);
  progress.finish();

  if (choice) print_tile_choice(*choice, o.cost_budget, o.shape_cost);
  std::printf("%s  tile %dx%d  fraction %.3g  (%s)\n", report.method.c_str(), cfg.t1, cfg.t2, cfg.fraction,
              dense.arch_string().c_str());
  std::printf("%-6s %12s %12s %12s\n", "layer", "tiles before", "tiles after", "total");
  for (std::size_t l = 0; l < report.layers.size(); ++l)
    std::printf("%-6zu %12ld %12ld %12ld\n", l, static_cast<long>(report.layers[l].before),
                static_cast<long>(report.layers[l].after), static_cast<long>(report.layers[l].total));
  std::printf("tiles kept %ld / %ld (%.1f%%), weight density %.3f\n", static_cast<long>(report.tiles_kept),
              static_cast<long>(report.tiles_total), 100.0 * report.tiles_kept / report.tiles_total, report.weight_density);
  if (report.permute_tiles_before > 0)
    std::printf("permutation: %ld -> %ld non-empty tiles\n", static_cast<long>(report.permute_tiles_before),
                static_cast<long>(report.permute_tiles_after));
  std::printf("HE cost kept %.0f / %.0f (%.1f%%; tiles x RNS limbs at their level)\n", cost.kept, cost.total,
              100.0 * cost.kept / cost.total);
  if (planned)
    std::printf("planned server latency kept %.1f%% (%.2f s of %.2f s for 256 samples: the planner's estimate, which "
                "charges rotations per live tile row; measured cuts are smaller still, docs/RESULTS.md)\n",
                100.0 * planned->pruned_s / planned->dense_s, planned->pruned_s, planned->dense_s);
  if (o.baseline) std::printf("dense baseline: fine-tuned in the same %d phases (%d epochs)\n", report.finetune_phases,
                              report.finetune_epochs);
  const std::string data_name = job.data + (job.noise > 0.f ? " (noise " + fmt_noise(job.noise) + ")" : "");
  if (has_val) print_quality("val", data_name, loss, val, o.baseline);
  print_quality("test", data_name, loss, test, o.baseline);

  if (!o.report.empty()) {
    const bool classifier = loss == nn::Loss::kSoftmaxCrossEntropy;
    nlohmann::json j = report_json(report, val, test, cost, planned, o.baseline, classifier);
    if (choice) j["tile_choice"] = tile_choice_json(*choice, o.cost_budget, o.shape_cost);
    io::write_file_atomic(o.report, j.dump(2) + "\n");
  }
  if (!o.out.empty()) {
    pruned.save(o.out);
    std::printf("saved %s\n", o.out.c_str());
  }
}

const cli::VerbRegistrar reg(30, [](CLI::App& app) {
  auto o = std::make_shared<PruneOptions>();
  auto& c = o->config;
  c.finetune.epochs = 3;
  auto* sub = app.add_subcommand("prune", "HE-aware pruning of a trained model: prune, permute, expand, fine-tune");
  sub->footer(
      "Methods: P1 unstructured magnitude; P2 whole tiles by score, no permutation (Hunter adaptation);\n"
      "  P3 permute, then tile pruning; P4 unstructured -> permute -> drop almost-empty tiles;\n"
      "  P4E = P4 + expansion (surviving tiles re-enabled from their dense weights) before the last fine-tune.\n"
      "Fraction: of weights (P1, P4, P4E) or of tiles (P2, P3). Every fine-tune keeps the masks fixed.\n"
      "--saliency and --cost-aware (our additions) rank by estimated loss increase per unit of HE cost.\n"
      "Deltas compare with the dense model fine-tuned in the same phases (and distilled likewise), on the\n"
      "  validation split (choose among runs by it) and on the test set (report it); accuracy for classifiers.\n"
      "HE cost kept: tiles weighted by the RNS limbs of their layer's level (the planner's).\n"
      "Beyond one-shot: --steps K --schedule cubic (gradual), --layer-cap C, --distill A --temperature T.\n"
      "Tile shape and pruning together: --tile-shapes 4x4,4x8,8x4,2x16 --cost-budget 0.5 prunes each shape to\n"
      "  half the dense model's planned latency at the first shape (fraction found by bisection on masks;\n"
      "  --shape-cost he: the per-sample HE cost instead), fine-tunes each, keeps the shape of least validation\n"
      "  loss; its deltas and report follow as for --tile.\n"
      "Example: hepex prune --model dense.hpx --method P4E --tile 4x8 --fraction 0.9 --data mnist -o pruned.hpx\n"
      "         hepex prune -m clf.hpx --method P4E --fraction 0.7 --saliency --cost-aware --steps 3 --schedule cubic\n"
      "                     --layer-cap 0.8 --distill 0.5 --temperature 4 --epochs 6 -o pruned.hpx");
  sub->add_option("-m,--model", o->model, "Dense model file (hepex train)")->required()->check(CLI::ExistingFile);
  sub->add_option("--method", o->method, "P1, P2, P3, P4 or P4E")->capture_default_str();
  auto* tile = sub->add_option("--tile", o->tile, "Tile shape t1xt2 (the batch fills the remaining slots)")
                   ->capture_default_str();
  auto* fraction =
      sub->add_option("--fraction", c.fraction, "Fraction pruned")->check(cli::real_in(0, 0.9999))->capture_default_str();
  auto* shapes = sub->add_option("--tile-shapes", o->tile_shapes,
                                 "Choose the tile shape with the pruning, among these (e.g. 4x4,4x8,8x4,2x16): each "
                                 "is pruned just enough to meet --cost-budget, fine-tuned, and the one of least "
                                 "validation loss is kept (replaces --tile and --fraction)")
                     ->delimiter(',')
                     ->excludes(tile)
                     ->excludes(fraction);
  sub->add_option("--cost-budget", o->cost_budget,
                  "With --tile-shapes: the cost to keep (--shape-cost), as a fraction of the dense model's at the "
                  "first shape")
      ->check(cli::real_above(0, 1))
      ->needs(shapes);
  sub->add_option("--shape-cost", o->shape_cost,
                  "With --tile-shapes: the cost the budget measures: latency (the planner's estimate for 256 samples: "
                  "rotations and key switches per ciphertext included) or he (tiles x RNS limbs x t1 t2 per sample: "
                  "products only; it chose a shape 1.49x slower measured, docs/RESULTS.md)")
      ->check(CLI::IsMember({"latency", "he"}))
      ->capture_default_str()
      ->needs(shapes);
  cli::add_prune_options(sub, c, o->text);
  cli::add_method_options(sub, c, o->method_text);
  sub->add_flag("--saliency", c.saliency,
                "Rank weights and tiles by data saliency (estimated loss increase, bias compensated) instead of |w|");
  sub->add_flag("--cost-aware", o->cost_aware,
                "Divide scores by each layer's HE cost per tile (RNS limbs at its level): prune where it saves most");
  sub->add_option("--data", o->data, cli::data_option_help_for_models());
  sub->add_option("--noise", o->noise, cli::noise_option_help_for_models())->check(cli::real_in(0, 10));
  sub->add_option("--val-split", o->val_split,
                  "Validation fraction of the training set (seeded hold-out: the rows `train` held out with the same "
                  "--val-split and --seed, so the dense model never saw them): fine-tuning keeps its best validation "
                  "epoch, and the val delta is printed for choosing among runs")
      ->check(cli::real_in(0, 0.9))
      ->capture_default_str();
  sub->add_option("--seed", o->seed, "Seed of the split, the noise and the fine-tuning order")->check(cli::any_seed())->capture_default_str();
  sub->add_flag("!--no-baseline", o->baseline, "Skip fine-tuning the dense model for the delta MSE");
  sub->add_option("--report", o->report, "Write a JSON report here");
  sub->add_option("-o,--out", o->out, "Write the pruned model here");
  sub->callback([o, shapes] {
    if (shapes->count() > 0 && !(o->cost_budget > 0))
      throw CLI::RequiredError("--tile-shapes needs --cost-budget (the fraction of the dense model's cost to meet)");
    run(*o);
  });
});
}  // namespace
