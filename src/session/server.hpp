#pragma once
// hepex::Server — the model owner's side of an encrypted inference. It holds the model, the plan and the
// evaluation keys, evaluates encrypted inputs and returns encrypted outputs with the report of the run.
// It never holds a secret key and refuses one: secret-key bytes, a secret.key file or a keys directory
// given as evaluation keys throw SecurityError.
//
//   Server s = Server::from_files("pruned.hpx", "plan.json");   // or .onnx; or Server(model, plan)
//   s.set_eval_keys(eval_keys_bytes);                            // or s.load_eval_keys("eval.keys")
//   auto [y, report] = s.evaluate(x_bytes);                      // or s.evaluate_file("x.ct", "y.ct")
//
// Bytes are the bytes of the corresponding files (session/bytes.hpp), so a Server answers `hepex encrypt`'s
// files and `hepex decrypt` reads its outputs. The model must compile to the network the plan was made for
// (MismatchError otherwise), the plan's CKKS parameters must be 128-bit secure unless the policy allows test
// parameters, and inputs of another key set than the evaluation keys are refused.
//
// The weights are encoded once, at the first evaluation, and reused by later ones. Errors: hepex::Error
// subclasses naming the object and what is wrong. Movable, not copyable; evaluate one input at a time.
#include <cstddef>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "backend/ckks_backend.hpp"
#include "infer/compiled.hpp"
#include "infer/executor.hpp"
#include "infer/files.hpp"
#include "infer/keys.hpp"
#include "infer/plan.hpp"
#include "infer/report.hpp"
#include "nn/model.hpp"
#include "session/bytes.hpp"

namespace hepex {

struct ServerOptions {
  infer::SecurityPolicy security = infer::SecurityPolicy::kRequire128Bit;
  std::optional<infer::WeightMode> weights;  // default: the plan's choice
  // Milestones of long steps ("loading the encrypted inputs x.ct (12 MiB)...", "evaluating layer 2/4 ..."),
  // for a progress line; may be empty.
  std::function<void(const std::string&)> progress;
  // Several processes share each evaluation (`mpirun hepex infer`, src/distributed); not owned, outlives
  // the Server. Null: this process evaluates everything.
  const infer::Distribution* distribution = nullptr;
};

class Server {
 public:
  // `model_name`, `plan_name` name them in errors. Throws MismatchError when the model is not the plan's,
  // SecurityError for parameters below 128-bit security (unless options.security allows them).
  Server(nn::Model model, infer::Plan plan, ServerOptions options = {}, const std::string& model_name = "model",
         const std::string& plan_name = "plan");
  // The model from a .hpx or .onnx file (session/model_file.hpp), the plan from its JSON file.
  static Server from_files(const std::string& model_path, const std::string& plan_path, ServerOptions options = {});
  // The same with the plan's bytes (plan.json as the client sends it).
  static Server from_model_file(const std::string& model_path, std::span<const std::uint8_t> plan,
                                ServerOptions options = {});

  Server(Server&&) noexcept;
  Server& operator=(Server&&) noexcept;
  ~Server();

  // The evaluation keys (eval.keys of the plan's key set); replace any held. SecurityError for a secret key.
  void set_eval_keys(const Bytes& eval_keys, const std::string& name = "evaluation keys");
  // From a file, the keys are decoded per layer: each layer's Galois keys are read from the file as the
  // layer starts and dropped after it (so the server holds the keys of one layer at a time, and none between
  // evaluations); the file must stay in place and unchanged while the Server uses it.
  void load_eval_keys(const std::string& path);
  void set_eval_keys(std::istream& eval_keys, const std::string& name = "evaluation keys");
  bool has_eval_keys() const { return be_ != nullptr; }

  struct Result {
    Bytes output;  // the output ciphertext file's bytes
    infer::Report report;
  };
  // Evaluates the client's input ciphertexts (the bytes of `hepex encrypt`'s file). `name` prefixes errors.
  Result evaluate(const Bytes& input, const std::string& name = "encrypted inputs");
  // The same, taking the bytes over. The first layer parses the ciphertexts from them part by part
  // (infer::CiphertextTiles): the inputs are never all expanded in memory, only their packed bytes held.
  Result evaluate(Bytes&& input, const std::string& name = "encrypted inputs");
  // Checks input ciphertexts as evaluate() does before it starts (integrity, key set, parameters, tile
  // count), without evaluating: for a caller that must refuse a bad input before it commits to the work.
  void check_input(const Bytes& input, const std::string& name = "encrypted inputs") const;
  // The same from and to files; the output is written atomically (nothing on failure). The input file is
  // read part by part as the first layer asks for it (its digest checked first in one pass), so its bytes
  // are not held in memory either; it must not change during the evaluation.
  infer::Report evaluate_file(const std::string& input_path, const std::string& output_path);
  // The same through streams (session/bytes.hpp): the output is written whole once evaluated.
  infer::Report evaluate(std::istream& input, std::ostream& output, const std::string& name = "encrypted inputs");

  const nn::Model& model() const { return model_; }
  const infer::Plan& plan() const { return plan_; }
  const ckks::CkksContext& context() const { return *ctx_; }
  infer::WeightMode weight_mode() const;

 private:
  void step(const std::string& text) const;
  void accept_eval_keys(Bytes body, const std::string& name, std::size_t file_bytes);
  void use_eval_keys(backend::CkksKeys keys, const std::string& name, std::size_t file_bytes);
  tile::CipherTileTensor parse_input(Bytes input, const std::string& name) const;  // freed once parsed
  tile::CipherTileTensor run(infer::CiphertextTiles& x, infer::Report& report);
  // The plan's input tiles in a ciphertext file's body (trailer removed; in memory or read from disk),
  // parsed as the first layer asks.
  infer::CiphertextTiles input_tiles(io::BinaryReader body) const;

  nn::Model model_;
  infer::Plan plan_;
  ServerOptions options_;
  infer::CompiledNetwork net_;
  std::shared_ptr<const ckks::CkksContext> ctx_;
  std::unique_ptr<backend::CkksBackend> be_;    // with the evaluation keys only
  std::unique_ptr<infer::Executor> executor_;   // built at the first evaluation (weights encoded there)
  std::size_t eval_key_bytes_ = 0;
};

}  // namespace hepex
