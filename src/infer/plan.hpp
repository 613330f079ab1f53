#pragma once
// The plan of an encrypted inference: everything the client and the server must agree on, derived from
// the model, the tile shape and the batch size, and nothing secret (it carries no weights: the client packs
// and permutes with it, the server checks its model and keys against it).
//
//   tiles        [t1, t2, t3] with t3 = slots / (t1 t2): the batch runs along t3.
//   depth        levels consumed: per layer 1 (ct x pt product) + 1 (clear unknowns, layers followed by another
//                that summed over an inner slot dimension, unless repaired in the next layer's weights: per
//                layer, the planner's choice or PlanOptions::unknowns_repair) + 1 (square, non-affine
//                activations) + 1 (the last layer's output clear, when it leaves unknowns); compiled.hpp.
//   layout       the batch innermost or outermost in every tile's slot order (tile/matmul.hpp: BatchLayout).
//   CKKS         the smallest ring degree N (8192 .. 65536, or the one asked for: ring_degree) whose 128-bit
//                HE Standard bound admits the chain {first, one prime per level} + {special}, first =
//                scale_bits + 12, special = scale_bits + 20 (<= 60), a level's prime scale_bits wide after a
//                square and min(scale_bits, 31) after a plaintext product (level_rescales), with the largest
//                scale_bits in [min_scale_bits, max_scale_bits <= 40] that fits; then the fewest key-switching digits the bound still
//                admits (special primes cover the widest digit + 20 bits; plan.cpp widen_digits), which at
//                N = 2^14 is one prime per digit (dnum = depth + 1).
//   rotations    exactly the left-rotation steps (normalized to (0, slots)) the executor performs.
//   levels       each layer's weights are encoded at the level of its input (level_in), the bias one below.
//   cost         operation counts per layer computed from the zero-tile pattern (the executor's counts must
//                equal them), latency from a per-operation cost model, memory for both weight modes.
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/op_counts.hpp"
#include "backend/sim_params.hpp"
#include "infer/compiled.hpp"
#include "io/binary.hpp"
#include "nn/model.hpp"

namespace hepex::infer {

enum class WeightMode { kPreEncoded, kOnTheFly };
const char* weight_mode_name(WeightMode m);
WeightMode parse_weight_mode(const std::string& text);  // "pre-encoded" / "on-the-fly"
// "inner" / "outer"; and the choice of a user (`--batch-layout`, Python's batch_layout=): "auto" (the
// planner's choice: nullopt), "inner" or "outer"; InvalidArgument naming anything else.
const char* batch_layout_name(tile::BatchLayout layout);
std::optional<tile::BatchLayout> parse_batch_layout_choice(const std::string& text);

struct CkksChoice {
  std::size_t ring_degree = 0;
  std::vector<int> data_bits;     // q_0 first
  std::vector<int> special_bits;
  std::size_t dnum = 0;
  int scale_bits = 0;
  bool secure = true;             // false only for test plans (small rings)
  int total_bits() const;
  std::size_t slots() const { return ring_degree / 2; }
  int max_level() const { return static_cast<int>(data_bits.size()) - 1; }
  // Nominal simulator parameters (primes 2^bits): levels and byte sizes exactly as the real chain.
  backend::SimParams sim_params() const;
};

struct LayerPlan {
  std::size_t in = 0, out = 0;
  bool transposed = true;        // orientation (layer 0, 2, .. transposed)
  bool square = false, clear_and_duplicate = false, fill_dead_rows = false, clear_output = false;
  bool unknowns_to_next = false, input_copies = false;  // CompiledLayer's (absent in older plans: false)
  int level_in = 0;              // level of the layer's input = level its weights are encoded at
  int level_out = 0;
  std::size_t tiles_kept = 0, tiles_total = 0, dead_tile_rows = 0;
  std::size_t weight_plaintexts = 0;  // weight (CompiledLayer::product_tiles_kept) + bias plaintext tiles
  std::size_t weight_bytes = 0;       // their size when encoded at their levels
  backend::OpCounts counts;           // expected operations (everything but encode/decode)
  double est_seconds = 0;
};

// Per-operation costs in nanoseconds per coefficient and RNS limb (ring degree N, limbs = level + 1); latency
// estimates divide by the thread count. Key switches cost (key_switch + decompose) * limbs * (limbs + special) (hybrid, one
// prime per digit). Fitted to the default demo's per-layer times on the 2-core development machine (load 1-2,
// 2 threads, both batch layouts, pre-encoded; encode: the on-the-fly runs), minimax: every layer within 20%,
// the totals within 10% (docs/RESULTS.md, compact weight plaintexts). Memory-bound full plaintexts and compact
// ones share multiply_plain; the fit holds both to 20%.
// Nanoseconds of one thread per coefficient and limb (key switching: per limb and extended limb). Fit to the
// default demo and the 784-512-128-512-784 study model, dense and pruned, batch outer (docs/RESULTS.md, issue 9
// part 8): the sum of products with compact plaintexts (multiply_compact) costs 0.4x one with full ones.
// Refit with wide_limb on five chains of the demo (issue 9 part 9: 2^31 and mixed 2^40 chains, depth 8, 9 and
// 11, each repair of the unknowns; medians of 3 alternating runs): every layer within 27%, totals within 10%.
struct CostModel {
  double multiply_plain = 2.0, multiply_compact = 0.77, add = 1.23, rescale = 18.5, square = 6.1, encode = 27.0;
  // A key switch: its decomposition (shared by a hoisted sum's rotations) and the rest.
  double decompose = 9.4, key_switch = 2.5;
  // A limb of a prime above 2^31 costs wide_limb narrow ones: the 32-bit kernels (NTT, products, key
  // switching's inner product) do not apply to it.
  double wide_limb = 1.5;
  // Limbs as the costs above count them: narrow ones 1, wide ones wide_limb.
  double limbs(std::span<const int> prime_bits) const;
  // compact: the plaintexts are compact (batch outermost), every product reads a few words per limb.
  // limbs: of the ciphertexts at the operations' level, special: of the special primes (both as limbs()).
  double seconds(const backend::OpCounts& counts, double limbs, std::size_t n, double special, bool compact) const;
};

// Where a hidden layer's unknowns are repaired (compiled.hpp): by a mask, or in the next layer's weights.
enum class UnknownsRepair { kClearAndDuplicate, kMaskInNextWeights };
// The user's choice (PlanOptions::unknowns_repair): "auto" (empty: the planner's), "clear-and-duplicate" or
// "mask-in-next-weights" (every hidden layer), or one of the two per hidden layer, comma-separated;
// InvalidArgument naming anything else.
std::vector<UnknownsRepair> parse_unknowns_repair_choice(const std::string& text);

struct PlanOptions {
  std::size_t ring_degree = 0;      // 0: the smallest N that fits at 128-bit security
  // Slot order of the tiles (tile/matmul.hpp); unset: the planner's choice (see make_plan).
  std::optional<tile::BatchLayout> batch_layout;
  bool insecure = false;            // tests only: allow rings below the HE Standard bound
  int max_scale_bits = 40, min_scale_bits = 30;
  std::size_t memory_budget = 0;    // bytes for pre-encoded weights; 0: a quarter of physical memory
  int threads = 0;                  // for the latency estimate; 0: OpenMP's maximum
  // Rotations per hoisted sum (CompiledNetwork::hoisted_rotations). 4: a rotate-and-sum over 4 positions
  // is one decomposition and one ModDown instead of two full rotations, for one more key per stride and
  // direction (stride x 3); 8 would need four more.
  std::size_t hoisted_rotations = 4;
  // Rescale before the rotate-and-sum (CompiledNetwork::sum_after_rescale); unset: when the scale is at least
  // 2^kSumAfterRescaleMinScaleBits, where the summed rescale noise stays well below the weights' rounding.
  std::optional<bool> sum_after_rescale;
  // How hidden layers' unknowns are repaired: empty, the planner's choice per layer (see make_plan); one
  // entry, every hidden layer; one per hidden layer, each its own (ignored where a layer has no unknowns).
  std::vector<UnknownsRepair> unknowns_repair;
  // With the planner's choice of repair: among the patterns in the same ring and scale whose estimated
  // latency is within precision_latency_slack of the fastest, take the fastest whose simulated rounding error
  // (precision.hpp) is within kPrecisionErrorSlack of the least. Seconds of simulation for large models;
  // false: the fastest estimate alone. 10%: the cost model's accuracy on whole networks (CostModel).
  bool precision_check = true;
  double precision_latency_slack = 0.10;
  CostModel costs;
};
inline constexpr double kPrecisionErrorSlack = 1.5;

struct Plan {
  static constexpr int kVersion = 1;
  std::string model_arch;
  std::uint64_t model_hash = 0;    // fingerprint of the compiled weights (infer refuses another model)
  std::size_t t1 = 0, t2 = 0, t3 = 0, batch = 0;
  tile::BatchLayout batch_layout = tile::BatchLayout::kInner;  // "batch_layout": "inner" / "outer" (absent: inner)
  std::size_t hoisted_rotations = 1;  // CompiledNetwork::hoisted_rotations (absent: 1)
  bool sum_after_rescale = false;     // CompiledNetwork::sum_after_rescale (absent: false)
  std::size_t input_size = 0, output_size = 0;
  nn::Permutation input_perm, output_perm;
  int depth = 0;
  CkksChoice ckks;
  std::vector<int> rotation_steps;  // sorted, in (0, slots)
  // The highest level each rotation key (one per rotation step) and the relinearization key (-1: none) are
  // used at: keygen trims the keys to these levels (ckks::KeySwitchKey::trimmed). Older plans have none
  // (empty, -1 with no levels): full keys.
  std::vector<int> rotation_key_levels;
  int relin_key_level = -1;
  // Input tile rows (dim-0 positions of the input tile tensor, t1 model-order features each) that no weight
  // of the first layer reads (pruned inputs): the client neither encrypts nor sends them. Increasing; absent
  // in older plans (every row sent).
  std::vector<std::size_t> unread_input_rows;
  std::vector<LayerPlan> layers;
  WeightMode weight_mode = WeightMode::kPreEncoded;
  std::size_t preencoded_weight_bytes = 0;  // all weight plaintexts at once
  std::size_t onthefly_weight_bytes = 0;    // the largest block encoded at a time
  std::size_t input_ciphertexts = 0, output_ciphertexts = 0;  // the ciphertexts sent (unread rows are not)
  std::size_t input_bytes = 0, output_bytes = 0;  // in memory (2 polynomials x limbs x N x 8)
  std::size_t eval_key_bytes = 0;                 // relinearization + planned Galois keys (trimmed), all of them
  std::size_t est_peak_bytes_preencoded = 0, est_peak_bytes_onthefly = 0;
  double est_latency_preencoded_s = 0, est_latency_onthefly_s = 0;
  io::KeyId key_set{};  // the key set made for this plan (set by keygen in the keys directory's copy)

  std::size_t batch_tiles() const { return (batch + t3 - 1) / t3; }
  std::size_t input_tile_rows() const { return (input_size + t1 - 1) / t1; }  // of t1 input features each
  std::vector<std::size_t> tile_sizes() const { return {t1, t2, t3}; }
  double est_latency_s() const {
    return weight_mode == WeightMode::kPreEncoded ? est_latency_preencoded_s : est_latency_onthefly_s;
  }

  nlohmann::json to_json() const;
  // FormatError naming `name` for a malformed plan or one that fails validate_plan.
  static Plan from_json(const nlohmann::json& j, const std::string& name);
  void save(const std::string& path) const;
  static Plan load(const std::string& path);
  // The file's text (what save writes) and its parser (what load reads through, bounded like a file).
  std::string to_text() const;
  static Plan parse(std::span<const std::uint8_t> bytes, const std::string& name);
  // The same through streams (io/stream.hpp: read to the end, at most kMaxPlanFileBytes).
  void write(std::ostream& out) const;
  static Plan read(std::istream& in, const std::string& name);
};

// Weight tile rows encoded at once in on-the-fly mode: as many as fit in `cap` bytes (at least one).
inline constexpr std::size_t kOnTheFlyBlockBytes = std::size_t{256} << 20;
// Input tile rows (dim-0 positions) per part of the first layer: the server expands one part of its inputs
// at a time from their file bytes (Executor::run with a TileFetch); 32 x 3.1 MB at the demo's 12 limbs.
inline constexpr std::size_t kInputPartPositions = 32;

// The plan for `model` with tile shape t1 x t2 and `batch` inputs. Throws InvalidArgument (relu, bad
// tile shape, t1 t2 larger than the slots) or SecurityError (no ring fits the depth).
// Batch layout, unless options.batch_layout sets it: the batch outermost (compact weight plaintexts: the
// weights take 2 t1 t2 words per limb and tile instead of N, and the layer kernel reads no weight stream,
// for one more level per transposed layer) when its chain fits the same ring degree and either keeps the
// scale or the batch-inner weights would not fit the memory budget pre-encoded; else the batch innermost.
Plan make_plan(const nn::Model& model, std::size_t t1, std::size_t t2, std::size_t batch, const PlanOptions& options = {});
// The same from a model already compiled (with its batch layout); the plan decides the network's
// sum_after_rescale (PlanOptions).
Plan make_plan(const nn::Model& model, CompiledNetwork net, std::size_t batch, const PlanOptions& options);

// The smallest scale at which the planner rescales before the rotate-and-sum unless told (PlanOptions): at
// 2^40 the demo's max abs error went from 1.1e-7 to 1.4e-7 (the weights' rounding dominates); at 2^31 it
// was 3.6x the error with the rescale after.
inline constexpr int kSumAfterRescaleMinScaleBits = 38;

// What each level's rescale follows: a product with a plaintext (weights, masks: the plaintext's scale
// absorbs any prime, so the prime may be below 2^31, where the 32-bit kernels run) or a square (the prime
// must be about the scale to keep it).
enum class Rescale { kAfterPlain, kAfterSquare };
inline constexpr int kNarrowPrimeBits = 31;
// The levels of `net` from the top (fresh inputs) down.
std::vector<Rescale> level_rescales(const CompiledNetwork& net);
// CKKS chain for these levels (see the header comment); throws SecurityError when nothing fits.
CkksChoice choose_ckks(std::span<const Rescale> top_down, std::size_t min_slots, const PlanOptions& options);
// The same with every level a square's (primes of the scale's size): a uniform chain of `depth` levels.
CkksChoice choose_ckks(int depth, std::size_t min_slots, const PlanOptions& options);

// Limits of what a plan may ask for: a plan comes from the other side, and every size in it is bounded
// before anything is allocated or generated from it.
struct PlanLimits {
  static constexpr std::size_t kMaxPrimes = 64, kMaxSpecialPrimes = 8, kMaxLayers = 64;
  static constexpr std::size_t kMaxHoistedRotations = 64;  // a power of two from 1 to this
  static constexpr std::size_t kMaxFeatures = std::size_t{1} << 24;
  static constexpr std::size_t kMaxBatch = std::size_t{1} << 24;
  // Values of one packed input or output matrix (features x batch): 2^28 doubles are 2 GiB.
  static constexpr std::size_t kMaxPackedValues = std::size_t{1} << 28;
  static constexpr std::uint64_t kMaxPlanFileBytes = std::uint64_t{64} << 20;
};

// Checks everything the client and the server rely on: ring degree and tile sizes, prime counts and sizes,
// levels, batch and matrix sizes, rotation steps (sorted, in (0, slots)), the layer chain, and that both
// permutations are permutations. Throws FormatError naming `name` and the field.
void validate_plan(const Plan& plan, const std::string& name);

// Fingerprint of the compiled weights, biases and activation flags.
std::uint64_t network_hash(const CompiledNetwork& net);

// The model compiled as the plan says (tile sizes and batch layout): what the server evaluates.
CompiledNetwork compile_for(const nn::Model& model, const Plan& plan);

// Throws MismatchError unless the model compiles to the network the plan was made for.
void check_plan_matches(const Plan& plan, const CompiledNetwork& net, const std::string& who);

// Human-readable summary (what `hepex plan` prints).
std::string format_plan(const Plan& plan);

}  // namespace hepex::infer
