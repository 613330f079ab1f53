#include "session/server.hpp"

#include <filesystem>

#include "infer/client.hpp"
#include "infer/files.hpp"
#include "io/binary.hpp"
#include "io/safe_file.hpp"
#include "session/model_file.hpp"
#include "util/error.hpp"

namespace hepex {

namespace fs = std::filesystem;

namespace {
std::string size_note(std::size_t bytes) { return " (" + std::to_string(bytes >> 20) + " MiB)..."; }

// A server is never given a secret key, not even by mistake: refused before anything is parsed.
void refuse_secret_key(std::span<const std::uint8_t> bytes, const std::string& name) {
  if (io::declared_object_type(bytes) == io::ObjectType::kSecretKey)
    throw SecurityError(name + " is a secret key: the server never takes the secret key (give it the evaluation "
                        "keys, eval.keys, only)");
}
}  // namespace

Server::Server(nn::Model model, infer::Plan plan, ServerOptions options, const std::string& model_name,
               const std::string& plan_name)
    : model_(std::move(model)), plan_(std::move(plan)), options_(std::move(options)) {
  net_ = infer::compile_for(model_, plan_);
  infer::check_plan_matches(plan_, net_, model_name);
  ctx_ = infer::plan_context(plan_, options_.security, plan_name);
}

Server Server::from_files(const std::string& model_path, const std::string& plan_path, ServerOptions options) {
  auto plan = infer::Plan::load(plan_path);
  return Server(load_model(model_path), std::move(plan), std::move(options), model_path, plan_path);
}

Server Server::from_model_file(const std::string& model_path, std::span<const std::uint8_t> plan, ServerOptions options) {
  auto parsed = infer::Plan::parse(plan, "plan");
  return Server(load_model(model_path), std::move(parsed), std::move(options), model_path, "plan");
}

Server::Server(Server&&) noexcept = default;
Server& Server::operator=(Server&&) noexcept = default;
Server::~Server() = default;

infer::WeightMode Server::weight_mode() const { return options_.weights.value_or(plan_.weight_mode); }

void Server::step(const std::string& text) const {
  if (options_.progress) options_.progress(text);
}

void Server::set_eval_keys(const Bytes& eval_keys, const std::string& name) {
  refuse_secret_key(eval_keys, name);
  accept_eval_keys(io::unseal(eval_keys, name), name, eval_keys.size());
}

void Server::set_eval_keys(std::istream& eval_keys, const std::string& name) {
  set_eval_keys(io::read_sealed_stream(eval_keys, name), name);
}

void Server::load_eval_keys(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    if (fs::exists(fs::path(path) / "secret.key", ec))
      throw SecurityError(path + " is a keys directory with a secret key: the server never reads it (give it " +
                          (fs::path(path) / "eval.keys").string() + " only)");
    throw IoError(path + " is a directory, not an evaluation keys file");
  }
  const std::size_t size = infer::file_bytes(path);
  step("loading the evaluation keys " + path + size_note(size));
  refuse_secret_key(io::read_file_prefix(path, io::kHeaderPrefixBytes), path);
  // Indexed, not decoded: each layer's Galois keys are decoded from the file as it starts (run).
  use_eval_keys(infer::open_eval_keys(*ctx_, path), path, size);
}

void Server::accept_eval_keys(Bytes body, const std::string& name, std::size_t file_bytes) {
  use_eval_keys(infer::parse_eval_keys(*ctx_, std::move(body), name, ckks::KeyForm::kPackedForSwitching), name,
                file_bytes);
}

void Server::use_eval_keys(backend::CkksKeys keys, const std::string& name, std::size_t file_bytes) {
  executor_.reset();  // it refers to the backend it was built on
  infer::check_eval_keys_cover(plan_, *ctx_, keys, name);
  be_ = std::make_unique<backend::CkksBackend>(ctx_, std::move(keys));
  eval_key_bytes_ = file_bytes;
}

tile::CipherTileTensor Server::run(infer::CiphertextTiles& x, infer::Report& report) {
  const auto mode = weight_mode();
  if (!executor_) {
    step(std::string("encoding weights (") + infer::weight_mode_name(mode) + ")...");
    executor_ = std::make_unique<infer::Executor>(*be_, net_, plan_.batch, mode, infer::kOnTheFlyBlockBytes,
                                                  options_.distribution);
  }
  std::vector<infer::LayerRun> runs;
  const tile::TileFetch fetch = [&](std::size_t first, std::size_t last) { return x.fetch(first, last); };
  const ckks::GaloisKeys* galois = be_->keys().galois.get();
  const bool per_layer = galois && galois->on_demand();
  std::vector<std::vector<ckks::GaloisKeys::Use>> layer_keys;
  if (per_layer) {
    std::vector<bool> on_read(net_.layers.size());
    for (std::size_t l = 0; l < on_read.size(); ++l) on_read[l] = executor_->copies_on_read(l);
    layer_keys = infer::layer_galois_keys(plan_, net_, *ctx_, on_read);
  }
  auto y = executor_->run(fetch, &runs, [&](std::size_t l, std::size_t layers) {
    if (l == 1) x.finish();  // the first layer has read every input: their bytes need not stay
    if (per_layer) galois->hold_only(layer_keys.at(l));  // this layer's keys only (between layers: none in use)
    const auto& lp = plan_.layers[l];
    const std::string keys = per_layer ? ", " + std::to_string(layer_keys[l].size()) + " Galois keys (" +
                                             std::to_string(galois->held_bytes() >> 20) + " MiB)"
                                       : std::string();
    step("evaluating layer " + std::to_string(l + 1) + "/" + std::to_string(layers) + " (" + std::to_string(lp.in) +
         " -> " + std::to_string(lp.out) + ", " + std::to_string(lp.tiles_kept) + " weight tiles" + keys + ")...");
  });
  x.finish();  // every input read, nothing after them
  if (per_layer) galois->hold_only({});  // decoded again by the next evaluation
  report = infer::make_report(plan_, runs, "ckks", mode);
  report.preencode_s = executor_->preencode_seconds();
  report.resident_model_bytes = executor_->resident_plaintext_bytes();
  report.eval_key_bytes = eval_key_bytes_;
  return y;
}

namespace {
void check_keys(const std::unique_ptr<backend::CkksBackend>& be) {
  if (!be) throw InvalidArgument("evaluate: the server has no evaluation keys (set_eval_keys or load_eval_keys first)");
}
}  // namespace

infer::CiphertextTiles Server::input_tiles(io::BinaryReader body) const {
  return infer::CiphertextTiles(std::move(body), *be_, infer::plan_input_shape(plan_),
                                infer::plan_input_tiles_sent(plan_));
}

tile::CipherTileTensor Server::parse_input(Bytes input, const std::string& name) const {
  check_keys(be_);
  return infer::parse_ciphertexts(io::unseal(std::move(input), name), name, *be_, infer::plan_input_shape(plan_),
                                  infer::plan_input_tiles_sent(plan_));
}

void Server::check_input(const Bytes& input, const std::string& name) const { parse_input(input, name); }

Server::Result Server::evaluate(const Bytes& input, const std::string& name) { return evaluate(Bytes(input), name); }

Server::Result Server::evaluate(Bytes&& input, const std::string& name) {
  check_keys(be_);
  const std::size_t input_bytes = input.size();
  step("reading the encrypted inputs " + name + size_note(input_bytes));
  // Parsed part by part as the first layer takes them: the bytes (packed, seeded) stay, the expanded
  // ciphertexts (4x larger) are never all in memory.
  infer::CiphertextTiles x = input_tiles(io::BinaryReader(io::unseal(std::move(input), name), name));
  Result result;
  const auto y = run(x, result.report);
  result.report.input_ct_bytes = input_bytes;
  result.output = infer::ciphertexts_file_bytes(*be_, y);
  result.report.output_ct_bytes = result.output.size();
  result.report.peak_rss_bytes = infer::peak_rss_bytes();
  return result;
}

infer::Report Server::evaluate(std::istream& input, std::ostream& output, const std::string& name) {
  check_keys(be_);  // before the stream is read
  auto result = evaluate(io::read_sealed_stream(input, name), name);
  write_bytes(output, result.output, "output ciphertexts");
  return result.report;
}

infer::Report Server::evaluate_file(const std::string& input_path, const std::string& output_path) {
  check_keys(be_);
  const std::size_t input_bytes = infer::file_bytes(input_path);
  step("reading the encrypted inputs " + input_path + size_note(input_bytes));
  // Read from disk part by part as the first layer asks (digest checked first): the file's bytes are not
  // held either.
  infer::CiphertextTiles x = input_tiles(io::open_hepex_file(input_path));
  infer::Report report;
  const auto y = run(x, report);
  report.input_ct_bytes = input_bytes;
  infer::save_ciphertexts(output_path, *be_, y);
  report.output_ct_bytes = infer::file_bytes(output_path);
  report.peak_rss_bytes = infer::peak_rss_bytes();
  return report;
}

}  // namespace hepex
