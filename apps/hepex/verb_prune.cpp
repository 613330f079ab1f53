// `hepex prune`: HE-aware pruning of a trained model (P1..P4E), with the delta MSE against the dense model
// fine-tuned for the same number of epochs.
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "data_choice.hpp"
#include "nn/job.hpp"
#include "prune/pipeline.hpp"
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
  cli::PruneTextOptions text;
  prune::PruneConfig config;
  bool cost_aware = false;
  double val_split = 0.1;
  std::uint64_t seed = 1;
  bool baseline = true;
};

nlohmann::json report_json(const prune::PruneReport& r, double mse_pruned, double mse_dense, bool baseline) {
  nlohmann::json j = prune_report_json(r);
  j["mse_pruned"] = mse_pruned;
  if (baseline) {
    j["mse_dense"] = mse_dense;
    j["delta_mse"] = mse_pruned - mse_dense;
  }
  return j;
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
  cfg = prune_config_for(dense, cfg, o.cost_aware, o.seed);

  nn::TrainJob job;
  job.data = cli::data_set_for(dense, o.data, o.model);
  job.task = task;
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
  const nn::Model pruned = prune::prune_model(dense, data.train, data.val, cfg, report,
                                              [&](const std::string& phase) { progress.step(report.method + ": " + phase); },
                                              epoch_printer(cfg.finetune.epochs));
  const double mse_pruned = nn::evaluate(pruned, data.test, cfg.finetune.loss).loss;
  double mse_dense = 0;
  if (o.baseline) {
    // Same total training: the dense model fine-tuned as long as the pruned one was.
    if (report.finetune_epochs > 0)
      progress.step("dense baseline: fine-tune " + std::to_string(report.finetune_phases) + " x " +
                    std::to_string(cfg.finetune.epochs) + " epochs");
    mse_dense = prune::equally_trained_dense_loss(dense, data.train, data.val, data.test, cfg.finetune,
                                                  report.finetune_phases, epoch_printer(cfg.finetune.epochs));
  }
  progress.finish();

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
  if (o.baseline)
    std::printf("test %s on %s: pruned %.6g, dense (fine-tuned likewise, %d x %d epochs) %.6g, delta %+.3g\n",
                nn::loss_name(cfg.finetune.loss), job.data.c_str(), mse_pruned, report.finetune_phases, cfg.finetune.epochs, mse_dense,
                mse_pruned - mse_dense);
  else
    std::printf("test %s on %s: pruned %.6g\n", nn::loss_name(cfg.finetune.loss), job.data.c_str(), mse_pruned);

  if (!o.report.empty()) {
    io::write_file_atomic(o.report, report_json(report, mse_pruned, mse_dense, o.baseline).dump(2) + "\n");
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
      "Delta MSE compares with the dense model fine-tuned for the same total number of epochs.\n"
      "Example: hepex prune --model dense.hpx --method P4E --tile 4x8 --fraction 0.9 --data mnist -o pruned.hpx");
  sub->add_option("-m,--model", o->model, "Dense model file (hepex train)")->required()->check(CLI::ExistingFile);
  sub->add_option("--method", o->method, "P1, P2, P3, P4 or P4E")->capture_default_str();
  sub->add_option("--tile", o->tile, "Tile shape t1xt2 (the batch fills the remaining slots)")->capture_default_str();
  sub->add_option("--fraction", c.fraction, "Fraction pruned")->check(cli::real_in(0, 0.9999))->capture_default_str();
  cli::add_prune_options(sub, c, o->text);
  sub->add_flag("--saliency", c.saliency,
                "Rank weights and tiles by data saliency (estimated loss increase, bias compensated) instead of |w|");
  sub->add_flag("--cost-aware", o->cost_aware,
                "Divide scores by each layer's HE cost per tile (RNS limbs at its level): prune where it saves most");
  sub->add_option("--data", o->data, cli::data_option_help_for_models());
  sub->add_option("--val-split", o->val_split, "Validation fraction of the training set")->check(cli::real_in(0, 0.9))->capture_default_str();
  sub->add_option("--seed", o->seed, "Seed of the split and the fine-tuning order")->check(cli::any_seed())->capture_default_str();
  sub->add_flag("!--no-baseline", o->baseline, "Skip fine-tuning the dense model for the delta MSE");
  sub->add_option("--report", o->report, "Write a JSON report here");
  sub->add_option("-o,--out", o->out, "Write the pruned model here");
  sub->callback([o] { run(*o); });
});
}  // namespace
