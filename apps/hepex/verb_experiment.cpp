// `hepex experiment`: sweep architectures x tile shapes x methods x fractions, write results.csv,
// results.md and plots, and measure real encrypted inference for the dense and best pruned models.
#include <cstdio>
#include <memory>

#include "nn/dataset.hpp"
#include "number_check.hpp"
#include "prune_options.hpp"
#include "study/experiment.hpp"
#include "study/he_measurement.hpp"
#include "util/error.hpp"
#include "verb.hpp"

namespace {
using namespace hepex;

const cli::VerbRegistrar reg(40, [](CLI::App& app) {
  auto c = std::make_shared<study::ExperimentConfig>();
  c->prune.finetune.epochs = 3;
  auto text = std::make_shared<cli::PruneTextOptions>();
  auto replot = std::make_shared<bool>(false), rebaseline = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand("experiment", "Sweep pruning methods and fractions; table, CSV, plot, encrypted runs");
  sub->footer(
      "Writes <out>/results.csv (arch, tile, method, fraction, tiles_kept, tiles_total, delta_mse, ..., he_latency_s,\n"
      "he_peak_rss_bytes, he_model_bytes), <out>/results.md and <out>/plot_<arch>_<tile>_{tiles,cost}.png (gnuplot).\n"
      "Dense models are cached in <out> by architecture, epochs and seed. Delta MSE compares each pruned model\n"
      "with the dense model fine-tuned for the same number of epochs. Encrypted inference (real CKKS) runs for\n"
      "the dense model and, per --bound, for the pruned model of least HE cost (tiles weighted by\n"
      "their RNS limbs) within that delta MSE.\n"
      "Example: hepex experiment --arch 784-128-32-128-784:poly2 --tile 4x8 --tile 4x4 --fraction 0.9 --out sweep1");
  sub->add_option("--arch", c->archs, "Architectures (repeatable)")->capture_default_str();
  sub->add_option("--tile", c->tiles, "Tile shapes t1xt2 (repeatable)")->capture_default_str();
  sub->add_option("--method", c->methods, "Methods among P1 P2 P3 P4 P4E; suffix /sal ranks by saliency per HE cost (e.g. P3/sal) (repeatable)")->capture_default_str();
  sub->add_option("--fraction", c->fractions, "Prune fractions (repeatable)")->check(cli::real_in(0, 0.9999))->capture_default_str();
  sub->add_option("--bound", c->bounds, "Delta-MSE bounds for the encrypted comparison (repeatable)")->check(cli::real_in(-1, 1))->capture_default_str();
  sub->add_option("--data", c->data, std::string("Data set: ") + nn::kDataSetNames + ", or a directory")
      ->capture_default_str();
  auto* out = sub->add_option("--out", c->out_dir,
                              "Output directory (default: a new experiment-<UTC date>-<time>); a non-empty one "
                              "needs --force");
  sub->add_flag("--force", c->overwrite,
                "Run into a non-empty --out: replace its results, reuse the dense models cached there");
  sub->add_option("--dense-epochs", c->dense_epochs, "Epochs of dense training")->check(cli::whole_in(1, cli::kMaxEpochs))->capture_default_str();
  sub->add_option("--dense-lr-decay", c->dense_lr_decay, "Learning-rate factor per epoch of dense training")
      ->check(cli::real_in(0.01, 1))
      ->capture_default_str();
  cli::add_prune_options(sub, c->prune, *text);
  sub->add_option("--seed", c->seed, "Seed of training, split and fine-tuning")->check(cli::any_seed())->capture_default_str();
  sub->add_option("--he-batch", c->he_batch, "Images per encrypted inference")->check(cli::whole_in(1, cli::kMaxBatch))->capture_default_str();
  sub->add_option("--he-weights", c->he_weights, "Weight mode of the encrypted runs: pre-encoded, on-the-fly or auto")
      ->check(CLI::IsMember({"pre-encoded", "on-the-fly", "auto"}))
      ->capture_default_str();
  sub->add_option("--tag", c->tag, "Appended to the method names of this run (e.g. long: P4E/sal+long), to tell settings apart");
  sub->add_flag("--replot", *replot, "Only rewrite results.md and the plots from <out>/results.csv (runs nothing)");
  sub->add_flag("--rebaseline", *rebaseline,
                "Only recompute the dense baselines of <out>/results.csv (dense models cached in <out>) and rewrite it");
  sub->add_flag("!--no-he", c->he, "Skip the encrypted-inference measurements");
  sub->callback([c, text, replot, rebaseline, out] {
    if ((*replot || *rebaseline) && out->count() == 0)
      throw InvalidArgument(std::string("experiment: ") + (*replot ? "--replot" : "--rebaseline") +
                            " needs --out, the directory holding results.csv (e.g. --out results)");
    c->quiet = cli::global_options().quiet;
    if (*replot) {
      const auto rows = study::replot_experiment(c->out_dir, c->bounds);
      std::printf("%zu points; rewrote %s/results.md and plots\n", rows.size(), c->out_dir.c_str());
      return;
    }
    cli::apply_prune_options(c->prune, *text);
    c->prune.finetune.seed = c->seed;
    if (*rebaseline) {
      const auto rows = study::rebaseline_experiment(*c);
      std::printf("%zu points; recomputed the baselines in %s/results.csv\n", rows.size(), c->out_dir.c_str());
      return;
    }
    // Each encrypted run in a child `hepex demo`, so its peak resident memory is its own.
    const auto rows = study::run_experiment(
        *c, study::child_process_runner("/proc/self/exe", c->he_weights, cli::global_options().threads));
    std::printf("%zu points on %s; wrote %s/results.csv, results.md and plots\n", rows.size(),
                nn::canonical_data_name(c->data).c_str(), c->out_dir.c_str());
  });
});
}  // namespace
