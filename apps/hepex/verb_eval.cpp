// `hepex eval`: test-set quality of a saved model (reconstruction MSE, or accuracy for classifiers), on the
// data set the model was trained on unless --data says otherwise.
#include <cstdio>
#include <memory>
#include <string>

#include "data_choice.hpp"
#include "nn/job.hpp"
#include "number_check.hpp"
#include "model_input.hpp"
#include "verb.hpp"

namespace {
using namespace hepex::nn;

struct EvalOptions {
  std::string model;
  std::string data;  // empty: the model's recorded data set
  float noise = -1.f;  // negative: the model's recorded noise
  std::uint64_t seed = 1;
};

void run(const EvalOptions& o) {
  const Model model = hepex::cli::load_model_any(o.model);
  const std::string data = hepex::cli::data_set_for(model, o.data, o.model);
  const Task task = infer_task(model);
  const float noise = hepex::cli::input_noise_for(model, o.noise);
  const Dataset test = load_test_data(data, noise, o.seed);
  const Loss loss = loss_for(task);
  const auto r = evaluate(model, test, loss);
  char noisy[48] = "";
  if (noise > 0.f) std::snprintf(noisy, sizeof noisy, " noise %.3g", double(noise));
  std::printf("%s on %s%s  (%s, %s, %zu parameters, %s)\n", format_eval(r, loss).c_str(), data.c_str(),
              noisy, model.arch_string().c_str(), task_name(task), model.parameter_count(),
              model.he_friendly() ? "HE-friendly" : "not HE-friendly");
}

const hepex::cli::VerbRegistrar reg(21, [](CLI::App& app) {
  auto opts = std::make_shared<EvalOptions>();
  auto* sub = app.add_subcommand("eval", "Evaluate a model on the test set (MSE, or accuracy for classifiers)");
  sub->footer("The task follows from the model: equal input and output widths = autoencoder, else classifier.\n"
              "Predictions for your own inputs (to compare with decrypted outputs): hepex predict.");
  sub->add_option("-m,--model", opts->model, "Model file written by 'hepex train'")->required()->check(CLI::ExistingFile);
  sub->add_option("--data", opts->data, hepex::cli::data_option_help_for_models());
  sub->add_option("--noise", opts->noise, hepex::cli::noise_option_help_for_models())->check(hepex::cli::real_in(0, 10));
  sub->add_option("--seed", opts->seed, "Seed of the test noise")->check(hepex::cli::any_seed())->capture_default_str();
  sub->callback([opts] { run(*opts); });
});
}  // namespace
