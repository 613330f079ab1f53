#include "infer/plan.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <sstream>
#include <tuple>

#include "backend/backend.hpp"
#include "ckks/params.hpp"
#include "ckks/security.hpp"
#include "infer/precision.hpp"
#include "infer/schedule.hpp"
#include "io/binary.hpp"
#include "io/json_integer.hpp"
#include "io/safe_file.hpp"
#include "io/stream.hpp"
#include "util/error.hpp"
#include "util/hash.hpp"
#include "util/process.hpp"

namespace hepex::infer {

using backend::Op;
using backend::OpCounts;
using json = nlohmann::json;

const char* weight_mode_name(WeightMode m) { return m == WeightMode::kPreEncoded ? "pre-encoded" : "on-the-fly"; }

WeightMode parse_weight_mode(const std::string& text) {
  if (text == "pre-encoded") return WeightMode::kPreEncoded;
  if (text == "on-the-fly") return WeightMode::kOnTheFly;
  throw InvalidArgument("weight mode '" + text + "': expected pre-encoded or on-the-fly");
}

std::vector<UnknownsRepair> parse_unknowns_repair_choice(const std::string& text) {
  if (text == "auto") return {};
  std::vector<UnknownsRepair> repairs;
  std::size_t begin = 0;
  for (;;) {
    const std::size_t end = std::min(text.find(',', begin), text.size());
    const std::string name = text.substr(begin, end - begin);
    if (name == "mask-in-next-weights")
      repairs.push_back(UnknownsRepair::kMaskInNextWeights);
    else if (name == "clear-and-duplicate")
      repairs.push_back(UnknownsRepair::kClearAndDuplicate);
    else
      throw InvalidArgument("unknowns repair '" + text + "': expected auto, mask-in-next-weights or "
                            "clear-and-duplicate, or one of the two per hidden layer separated by commas");
    if (end == text.size()) return repairs;
    begin = end + 1;
  }
}

const char* batch_layout_name(tile::BatchLayout layout) {
  return layout == tile::BatchLayout::kOuter ? "outer" : "inner";
}

std::optional<tile::BatchLayout> parse_batch_layout_choice(const std::string& text) {
  if (text == "auto") return std::nullopt;
  if (text == "inner") return tile::BatchLayout::kInner;
  if (text == "outer") return tile::BatchLayout::kOuter;
  throw InvalidArgument("batch layout '" + text + "': expected auto, inner or outer");
}

int CkksChoice::total_bits() const {
  int t = 0;
  for (int b : data_bits) t += b;
  for (int b : special_bits) t += b;
  return t;
}

backend::SimParams CkksChoice::sim_params() const {
  return backend::SimParams::from_bits(ring_degree, data_bits, scale_bits, special_bits.size());
}

double CostModel::limbs(std::span<const int> prime_bits) const {
  double sum = 0;
  for (int bits : prime_bits) sum += bits <= kNarrowPrimeBits ? 1.0 : wide_limb;
  return sum;
}

double CostModel::seconds(const OpCounts& c, double limbs, std::size_t n, double special, bool compact) const {
  const double unit = double(n) * limbs * 1e-9;
  const double product = compact ? multiply_compact : multiply_plain;
  double t = unit * (product * double(c[Op::kMultiplyPlain] + c[Op::kMultiplyConst]) +
                     add * double(c[Op::kAdd] + c[Op::kAddPlain]) + rescale * double(c[Op::kRescale]) +
                     square * double(c[Op::kSquare]) + encode * double(c[Op::kEncode]));
  t += unit * (limbs + double(special)) * (key_switch * double(c[Op::kKeySwitch]) + decompose * double(c[Op::kDecompose]));
  return t;
}

namespace {

std::size_t ct_bytes(const CkksChoice& c, int level) { return 2 * std::size_t(level + 1) * c.ring_degree * 8; }
std::size_t pt_bytes(const CkksChoice& c, int level) { return std::size_t(level + 1) * c.ring_degree * 8; }

// Where the ring's security bound leaves room (N = 2^15 for the demo's depth: 552 of 881 bits), fewer and
// wider digits: each key switch then decomposes into dnum digits instead of one per prime, and the keys
// shrink by the same factor, for special primes that cover the widest digit (the first, which holds the
// largest prime) with the same 20 bits to spare. The fewest digits that fit: at N = 2^15 with depth 11,
// dnum 2 measured 12% less server CPU than one prime per digit (dnum 3 and 6: no faster), 0.67x the peak
// memory, 0.29x the eval keys, the same error (docs/RESULTS.md, issue 9 part 7).
// Not with primes below 2^31: their key-switching inner product runs in 32-bit lanes, and the wider digits'
// base conversions (scalar, special primes above 2^31) cost more than it saves (the demo at depth 8, 2^31
// primes: 7.8 s with 3 digits against 6.2 s with one prime per digit, docs/RESULTS.md, issue 9 part 9).
void widen_digits(CkksChoice& c, int max_bits) {
  const std::size_t primes = c.data_bits.size();
  for (std::size_t i = 1; i < primes; ++i)
    if (c.data_bits[i] <= kNarrowPrimeBits) return;
  const int data = std::accumulate(c.data_bits.begin(), c.data_bits.end(), 0);
  for (std::size_t dnum = 1; dnum < primes; ++dnum) {
    const int needed = ckks::CkksParameters::widest_digit_bits(c.data_bits, dnum) + 20;
    const int count = (needed + 59) / 60;
    const int bits = (needed + count - 1) / count;
    if (count > int(PlanLimits::kMaxSpecialPrimes) || data + count * bits > max_bits) continue;
    c.dnum = dnum;
    c.special_bits.assign(std::size_t(count), bits);
    return;
  }
}

// Where the bound leaves room in a chain whose plaintext levels are narrow (the scale above 2^31): the
// squares' primes grow two bits at a time, up to the first prime's size. A square's prime q of s + 2e bits
// lets its layer's weights be encoded at 2^e over their narrow prime (the executor's weight scale is
// q_weights sqrt(q / 2^s)), e bits more precise: the weights' rounding at 2^31 is what limits such a chain
// (the demo at depth 9, scale 2^40: max abs error 8.1e-7 with squares of 40 bits, 1.1e-7 with 46).
void widen_squares(CkksChoice& c, std::span<const Rescale> top_down, int max_bits) {
  const std::size_t depth = top_down.size();
  const int squares = static_cast<int>(std::count(top_down.begin(), top_down.end(), Rescale::kAfterSquare));
  if (squares == 0) return;
  const int room = max_bits - c.total_bits();
  const int extra = std::min(2 * (room / (2 * squares)), c.data_bits[0] - c.scale_bits);
  for (std::size_t i = 0; i < depth; ++i)
    if (top_down[i] == Rescale::kAfterSquare) c.data_bits[depth - i] += std::max(0, extra);
}

}  // namespace

std::vector<Rescale> level_rescales(const CompiledNetwork& net) {
  std::vector<Rescale> levels;
  for (const CompiledLayer& L : net.layers) {
    levels.push_back(Rescale::kAfterPlain);  // the weights
    if (L.clear_and_duplicate) levels.push_back(Rescale::kAfterPlain);
    if (L.square) levels.push_back(Rescale::kAfterSquare);
    if (L.clear_output) levels.push_back(Rescale::kAfterPlain);
  }
  return levels;
}

CkksChoice choose_ckks(int depth, std::size_t min_slots, const PlanOptions& options) {
  return choose_ckks(std::vector<Rescale>(static_cast<std::size_t>(std::max(depth, 0)), Rescale::kAfterSquare),
                     min_slots, options);
}

CkksChoice choose_ckks(std::span<const Rescale> top_down, std::size_t min_slots, const PlanOptions& o) {
  const std::size_t depth = top_down.size();
  if (o.max_scale_bits < o.min_scale_bits)
    throw InvalidArgument("plan: the largest scale 2^" + std::to_string(o.max_scale_bits) + " is below the smallest 2^" +
                          std::to_string(o.min_scale_bits) + " (--max-scale-bits, --min-scale-bits)");
  std::vector<std::size_t> rings;
  if (o.ring_degree) rings.push_back(o.ring_degree);
  else
    for (std::size_t n = 8192; n <= 65536; n *= 2) rings.push_back(n);
  for (std::size_t n : rings) {
    if (n / 2 < min_slots) continue;
    for (int s = o.max_scale_bits; s >= o.min_scale_bits; --s) {
      CkksChoice c;
      c.ring_degree = n;
      c.scale_bits = s;
      // The last prime holds the outputs at scale 2^s: 12 more bits decode |y| < 2^11 (the client refuses
      // beyond 2^8, output_limit). The special prime bounds the key-switching noise, digit prime / P per
      // switch: 20 bits above the scale keep it ~2^-20 of the scale for the largest digit (the last prime).
      // A level rescaled after a plaintext product takes a prime below 2^31 (the 32-bit kernels) whatever the
      // scale: the plaintext is encoded at that prime's size, so the ciphertext keeps its scale. Squares need
      // primes of about the scale.
      const int first = std::min(60, s + 12), special = std::min(60, s + 20), plain = std::min(s, kNarrowPrimeBits);
      c.data_bits.assign(depth + 1, first);
      for (std::size_t i = 0; i < depth; ++i)
        c.data_bits[depth - i] = top_down[i] == Rescale::kAfterSquare ? s : plain;
      c.special_bits = {special};
      c.dnum = depth + 1;
      c.secure = !o.insecure;
      const int max_bits = ckks::max_log_qp_128(n);
      if (o.insecure || c.total_bits() <= max_bits) {
        const bool narrow_levels =
            plain < s && std::find(top_down.begin(), top_down.end(), Rescale::kAfterPlain) != top_down.end();
        if (!o.insecure && narrow_levels) widen_squares(c, top_down, max_bits);
        else if (!o.insecure) widen_digits(c, max_bits);
        return c;
      }
    }
  }
  throw SecurityError("plan: no ring degree up to 65536 holds a depth-" + std::to_string(depth) +
                      " chain with scales of at least 2^" + std::to_string(o.min_scale_bits) +
                      " at 128-bit security (fewer layers or activations, or a smaller minimum scale: hepex plan --min-scale-bits, "
                      "PlanOptions::min_scale_bits)");
}

std::uint64_t network_hash(const CompiledNetwork& net) {
  std::uint64_t h = io::fnv1a64(&net.t1, sizeof net.t1);
  h = io::fnv1a64(&net.t2, sizeof net.t2, h);
  for (const auto& L : net.layers) {
    const std::uint64_t dims[2] = {L.out(), L.in()};
    h = io::fnv1a64(dims, sizeof dims, h);
    h = io::fnv1a64(L.weights.data.data(), L.weights.data.size() * sizeof(double), h);
    h = io::fnv1a64(L.bias.data(), L.bias.size() * sizeof(double), h);
    const double flags[3] = {L.square ? 1.0 : 0.0, L.post_sign, L.post_offset};
    h = io::fnv1a64(flags, sizeof flags, h);
  }
  return h;
}

CompiledNetwork compile_for(const nn::Model& model, const Plan& plan) {
  std::vector<bool> in_next_weights;
  for (const LayerPlan& l : plan.layers) in_next_weights.push_back(l.unknowns_to_next);
  CompiledNetwork net = compile(model, plan.t1, plan.t2, plan.batch_layout, in_next_weights);
  net.hoisted_rotations = plan.hoisted_rotations;
  net.sum_after_rescale = plan.sum_after_rescale;
  return net;
}

void check_plan_matches(const Plan& plan, const CompiledNetwork& net, const std::string& who) {
  if (plan.t1 != net.t1 || plan.t2 != net.t2)
    throw MismatchError(who + ": the plan is for tiles " + std::to_string(plan.t1) + "x" + std::to_string(plan.t2) +
                        ", the network was compiled for " + std::to_string(net.t1) + "x" + std::to_string(net.t2));
  if (plan.model_hash != network_hash(net))
    throw MismatchError(who + ": the model is not the one the plan was made for (weights fingerprint differs)");
  if (plan.depth != net.depth())
    throw MismatchError(who + ": the plan has " + std::to_string(plan.depth) + " levels, this version of hepex "
                        "evaluates the network in " + std::to_string(net.depth()) +
                        " (a plan from an older hepex, before the last layer's output clear?): make a new plan");
  // Fewer unread rows than the model's (an older plan) only send more; one more would drop an input it reads.
  const auto unread = unread_input_rows(net);
  for (std::size_t r : plan.unread_input_rows)
    if (!std::binary_search(unread.begin(), unread.end(), r))
      throw MismatchError(who + ": the plan leaves input row " + std::to_string(r) + " unsent, which the model reads");
}

namespace {
// Rotations per hoisted sum a plan may ask for (PlanOptions and the plan file alike).
bool valid_hoisted_rotations(std::size_t h) {
  return h >= 1 && h <= PlanLimits::kMaxHoistedRotations && (h & (h - 1)) == 0;
}
}  // namespace

Plan make_plan(const nn::Model& model, std::size_t t1, std::size_t t2, std::size_t batch, const PlanOptions& options) {
  const std::size_t h = options.hoisted_rotations;
  if (!valid_hoisted_rotations(h))
    throw InvalidArgument("plan: hoisted rotations " + std::to_string(h) + " is not a power of two from 1 to " +
                          std::to_string(PlanLimits::kMaxHoistedRotations));
  if (!(options.precision_latency_slack >= 0))
    throw InvalidArgument("plan: the precision check's latency slack must be at least 0");
  auto compiled = [&](tile::BatchLayout layout, const std::vector<bool>& in_next_weights) {
    CompiledNetwork net = compile(model, t1, t2, layout, in_next_weights);
    net.hoisted_rotations = options.hoisted_rotations;
    return net;
  };
  // The repair of each hidden layer's unknowns: in the next layer's weights saves a level (where the ring's
  // bound is tight, a larger scale: more precision) for t times the next layer's products and t copies of its
  // outputs in memory, and passes the unknowns' partial sums on through the zeros of the next weights (their
  // rounding: precision.hpp). Unless the user chose, every combination over the layers with unknowns (all or
  // none beyond 8 of them) is planned, and the plans in the smallest ring, then with the largest scale, are
  // the candidates, the lowest estimated latency first (precise() then weighs their errors).
  auto candidates = [&](tile::BatchLayout layout) -> std::vector<Plan> {
    const std::size_t hidden = model.layers().empty() ? 0 : model.layers().size() - 1;
    const std::vector<UnknownsRepair>& chosen = options.unknowns_repair;
    if (chosen.size() > 1 && chosen.size() != hidden)
      throw InvalidArgument("plan: the unknowns repair names " + std::to_string(chosen.size()) +
                            " layers; the model has " + std::to_string(hidden) + " hidden layers");
    if (!chosen.empty()) {
      std::vector<bool> in_next_weights(hidden);
      for (std::size_t l = 0; l < hidden; ++l)
        in_next_weights[l] = chosen[chosen.size() == 1 ? 0 : l] == UnknownsRepair::kMaskInNextWeights;
      return {make_plan(model, compiled(layout, in_next_weights), batch, options)};
    }
    std::vector<std::size_t> with_unknowns;
    const CompiledNetwork cleared = compiled(layout, {});
    for (std::size_t l = 0; l < hidden; ++l)
      if (cleared.layers[l].clear_and_duplicate) with_unknowns.push_back(l);
    std::vector<std::vector<bool>> choices;
    if (with_unknowns.size() <= 8) {
      for (std::size_t bits = 0; bits < (std::size_t{1} << with_unknowns.size()); ++bits) {
        std::vector<bool> c(hidden, false);
        for (std::size_t i = 0; i < with_unknowns.size(); ++i) c[with_unknowns[i]] = (bits >> i) & 1;
        choices.push_back(std::move(c));
      }
    } else {
      choices = {std::vector<bool>(hidden, false), std::vector<bool>(hidden, true)};
    }
    std::vector<Plan> plans;
    std::optional<SecurityError> refused;
    for (const auto& c : choices) {
      try {
        plans.push_back(make_plan(model, compiled(layout, c), batch, options));
      } catch (const SecurityError& e) {
        refused = e;
      }
    }
    if (plans.empty()) throw *refused;
    const auto key = [](const Plan& p) {
      return std::make_tuple(p.ckks.ring_degree, -p.ckks.scale_bits, p.est_latency_s());
    };
    std::stable_sort(plans.begin(), plans.end(), [&](const Plan& a, const Plan& b) { return key(a) < key(b); });
    std::erase_if(plans, [&](const Plan& p) {
      return p.ckks.ring_degree != plans.front().ckks.ring_degree || p.ckks.scale_bits != plans.front().ckks.scale_bits;
    });
    return plans;
  };
  // The fastest candidate whose simulated rounding error is within kPrecisionErrorSlack of the least among
  // those within precision_latency_slack of the fastest estimate (PlanOptions::precision_check).
  auto precise = [&](std::vector<Plan> plans) -> Plan {
    const double fastest = plans.front().est_latency_s();
    std::erase_if(plans, [&](const Plan& p) { return p.est_latency_s() > fastest * (1 + options.precision_latency_slack); });
    if (!options.precision_check || plans.size() < 2) return plans.front();
    std::vector<double> errors;
    for (const Plan& p : plans) errors.push_back(simulated_rounding_error(model, p));
    const double least = *std::min_element(errors.begin(), errors.end());
    for (std::size_t i = 0;; ++i)
      if (errors[i] <= least * kPrecisionErrorSlack) return plans[i];
  };
  if (options.batch_layout) return precise(candidates(*options.batch_layout));
  std::vector<Plan> inner = candidates(tile::BatchLayout::kInner);
  if (inner.front().t3 < 2) return precise(std::move(inner));  // no batch to put outside
  try {
    std::vector<Plan> outer = candidates(tile::BatchLayout::kOuter);
    // The batch outermost costs levels (a smaller scale: less precision) and saves weight memory and the
    // weight stream. Take it when it costs no precision, or when the batch-inner weights do not fit the
    // memory budget pre-encoded (re-encoding them on the fly is several times slower).
    const bool same_ring = outer.front().ckks.ring_degree == inner.front().ckks.ring_degree;
    const bool same_precision = outer.front().ckks.scale_bits >= inner.front().ckks.scale_bits;
    if (same_ring && (same_precision || inner.front().weight_mode == WeightMode::kOnTheFly))
      return precise(std::move(outer));
  } catch (const SecurityError&) {
  }
  return precise(std::move(inner));
}

namespace {
Plan plan_network(const nn::Model& model, const CompiledNetwork& net, std::size_t batch, const PlanOptions& o,
                  const CkksChoice& ckks);
}  // namespace

Plan make_plan(const nn::Model& model, CompiledNetwork net, std::size_t batch, const PlanOptions& o) {
  if (batch == 0) throw InvalidArgument("plan: the batch size must be at least 1");
  // Where the rescale goes depends on the scale the chain leaves (PlanOptions::sum_after_rescale); the
  // chain does not depend on it (the same levels either way).
  const CkksChoice ckks = choose_ckks(level_rescales(net), net.t1 * net.t2, o);
  net.sum_after_rescale = o.sum_after_rescale.value_or(ckks.scale_bits >= kSumAfterRescaleMinScaleBits);
  return plan_network(model, net, batch, o, ckks);
}

namespace {
Plan plan_network(const nn::Model& model, const CompiledNetwork& net, std::size_t batch, const PlanOptions& o,
                  const CkksChoice& ckks) {
  Plan p;
  p.model_arch = model.arch_string();
  p.model_hash = network_hash(net);
  p.t1 = net.t1;
  p.t2 = net.t2;
  p.batch_layout = net.batch_layout;
  p.hoisted_rotations = net.hoisted_rotations;
  p.sum_after_rescale = net.sum_after_rescale;
  p.batch = batch;
  p.input_size = net.input_size();
  p.output_size = net.output_size();
  p.input_perm = model.input_perm();
  p.output_perm = model.output_perm();
  p.depth = net.depth();
  p.ckks = ckks;
  const std::size_t slots = p.ckks.slots();
  p.t3 = slots / (net.t1 * net.t2);
  const std::size_t nb = p.batch_tiles();
  const bool outer = net.batch_layout == tile::BatchLayout::kOuter;
  if (outer && p.t3 < 2)
    throw InvalidArgument("plan: the batch-outer layout needs at least 2 batch slots per tile; tiles " +
                          std::to_string(net.t1) + "x" + std::to_string(net.t2) + " fill all " + std::to_string(slots));
  // Plaintext bytes as the backends hold them (backend.hpp: compact_period): with the batch outermost, weight
  // tiles repeat with period t1 t2, and biases too when the batch fills its tiles.
  const std::size_t period = net.t1 * net.t2;
  const bool compact_biases = outer && period * 4 <= slots && batch % p.t3 == 0;
  auto weight_pt_bytes = [&](int level) { return weight_tile_bytes(net, p.ckks.ring_degree, level); };
  auto bias_pt_bytes = [&](int level) {
    return compact_biases ? backend::compact_plaintext_bytes(level, period) : pt_bytes(p.ckks, level);
  };
  const int threads = std::max(1, o.threads ? o.threads : omp_get_max_threads());
  // Limbs of a ciphertext at `level` and of the special primes, as the cost model weighs them.
  auto limbs_at = [&](int level) {
    return o.costs.limbs(std::span<const int>(p.ckks.data_bits).first(static_cast<std::size_t>(level) + 1));
  };
  const double special_limbs = o.costs.limbs(p.ckks.special_bits);

  KeyLevels key_levels;
  int level = p.ckks.max_level();
  // Ciphertexts per layer (Executor::run): its outputs, and their rotated copies (all, or one part of them).
  std::vector<std::size_t> out_bytes, copy_bytes, copy_part_bytes;
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    const CompiledLayer& L = net.layers[l];
    LayerPlan lp;
    lp.in = L.in();
    lp.out = L.out();
    lp.transposed = L.orientation == tile::Orientation::kTransposed;
    lp.square = L.square;
    lp.clear_and_duplicate = L.clear_and_duplicate;
    lp.unknowns_to_next = L.unknowns_to_next;
    lp.input_copies = L.input_copies;
    lp.fill_dead_rows = L.fill_dead_rows;
    lp.clear_output = L.clear_output;
    lp.level_in = level;
    lp.tiles_kept = L.tiles_kept();
    lp.tiles_total = L.tiles_total();
    for (bool d : L.dead_tile_rows) lp.dead_tile_rows += d ? 1 : 0;
    std::size_t bias_rows = 0;
    for (bool b : bias_rows_present(L)) bias_rows += b ? 1 : 0;
    const std::size_t product_tiles = L.product_tiles_kept();
    lp.weight_plaintexts = product_tiles + bias_rows * nb;
    lp.weight_bytes = product_tiles * weight_pt_bytes(level) + bias_rows * nb * bias_pt_bytes(level - 1);
    double seconds = 0;
    for (const auto& s : layer_stages(net, l, nb, level)) {
      lp.counts += s.counts;
      seconds += o.costs.seconds(s.counts, limbs_at(s.level), p.ckks.ring_degree, special_limbs, outer);
    }
    lp.est_seconds = seconds / threads;
    lp.level_out = level - net.layer_depth(l);
    level = lp.level_out;
    key_levels.merge(layer_key_levels(net, l, slots, lp.level_in));
    // Repaired in the next layer's weights, the outputs also have their in_tile rotated copies, which the
    // next layer reads: made as it reads them, a part at a time, or all stacked at once.
    const std::size_t rows = L.dead_tile_rows.size();
    out_bytes.push_back(rows * nb * ct_bytes(p.ckks, lp.level_in - 1));
    const std::size_t copies = L.unknowns_to_next ? rows * L.in_tile : 0;
    copy_bytes.push_back(copies * nb * ct_bytes(p.ckks, lp.level_out));
    const std::size_t part = L.unknowns_to_next ? std::max(L.in_tile, kInputPartPositions / L.in_tile * L.in_tile) : 0;
    copy_part_bytes.push_back(std::min(copies, part) * nb * ct_bytes(p.ckks, lp.level_out));
    p.layers.push_back(lp);
  }
  for (const auto& [step, level] : key_levels.rotations) {
    p.rotation_steps.push_back(step);
    p.rotation_key_levels.push_back(level);
  }
  p.relin_key_level = key_levels.relin;

  // Memory: weights (all, or one block of tile rows), input and the largest layer output, keys.
  std::size_t block = 0;
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    const auto& lp = p.layers[l];
    const std::size_t rows = net.layers[l].dead_tile_rows.size();
    const std::size_t row_bytes = (net.layers[l].product_tiles_kept() * weight_pt_bytes(lp.level_in) + rows - 1) / rows;
    const std::size_t per_block = std::max<std::size_t>(1, kOnTheFlyBlockBytes / std::max<std::size_t>(1, row_bytes));
    block = std::max(block, std::min(rows, per_block) * row_bytes);
    p.preencoded_weight_bytes += lp.weight_bytes;
  }
  p.onthefly_weight_bytes = block;
  const auto in_shape = tile::input_shape(p.input_size, batch, p.tile_sizes(), tile::Orientation::kTransposed, net.batch_layout);
  p.unread_input_rows = unread_input_rows(net);
  p.input_ciphertexts = (in_shape.dim(0).tile_count() - p.unread_input_rows.size()) * in_shape.tiles_per_row();
  p.input_bytes = p.input_ciphertexts * ct_bytes(p.ckks, p.ckks.max_level());
  const auto out_shape = tile::output_shape(p.output_size, batch, p.tile_sizes(), net.layers.back().orientation, net.batch_layout);
  p.output_ciphertexts = out_shape.tile_count();
  p.output_bytes = p.output_ciphertexts * ct_bytes(p.ckks, p.layers.back().level_out);
  const auto sim = p.ckks.sim_params();
  p.eval_key_bytes = p.relin_key_level >= 0 ? sim.key_switch_key_bytes(p.relin_key_level) : 0;
  for (int level : p.rotation_key_levels) p.eval_key_bytes += sim.key_switch_key_bytes(level);
  // The server reads the input file as the first layer asks and expands one part of its input tile rows at a
  // time (kInputPartPositions).
  const std::size_t input_part_bytes =
      std::min(p.input_ciphertexts, kInputPartPositions * in_shape.tiles_per_row()) *
      ct_bytes(p.ckks, p.ckks.max_level());
  // As `hepex infer` runs (Server::evaluate_file): a layer holds its input (the first: one part of the file
  // expanded, the file read as it goes) beside its sums, then drops it; its outputs stay with their copies
  // when the next layer reads several blocks of weights (on the fly) and so needs them all (measured on
  // 784-512-128-512-784 with both stacked: 330 MiB more peak with layer 1's copies than with layer 2's).
  // Each layer holds its own Galois keys, trimmed to its levels (layer_key_uses), and the relinearization key.
  // A server given bytes (the service) holds the whole input file and every key besides.
  std::vector<int> level_in;
  for (const auto& lp : p.layers) level_in.push_back(lp.level_in);
  auto held = [&](bool copies_on_read) {
    std::vector<bool> on_read(p.layers.size(), false);
    for (std::size_t l = 0; l + 1 < p.layers.size(); ++l) on_read[l] = copies_on_read && net.layers[l].unknowns_to_next;
    const auto uses = layer_key_uses(net, level_in, slots, on_read);
    std::size_t in = input_part_bytes, biggest = 0;
    for (std::size_t l = 0; l < p.layers.size(); ++l) {
      std::size_t keys = p.relin_key_level >= 0 ? sim.key_switch_key_bytes(p.relin_key_level) : 0;
      for (const auto& [step, level] : uses[l].rotations) keys += sim.key_switch_key_bytes(level);
      const std::size_t copies = copies_on_read ? 0 : copy_bytes[l];
      biggest = std::max({biggest, in + out_bytes[l] + keys, out_bytes[l] + copies + keys});
      in = out_bytes[l] + (copies_on_read ? copy_part_bytes[l] : copies);
    }
    return biggest;
  };
  p.est_peak_bytes_preencoded = held(true) + p.preencoded_weight_bytes;
  p.est_peak_bytes_onthefly = held(false) + p.onthefly_weight_bytes;

  double latency = 0, encode_seconds = 0;
  for (std::size_t l = 0; l < p.layers.size(); ++l) {
    latency += p.layers[l].est_seconds;
    OpCounts enc;
    enc[Op::kEncode] = p.layers[l].tiles_kept;
    encode_seconds += o.costs.seconds(enc, limbs_at(p.layers[l].level_in), p.ckks.ring_degree, special_limbs, outer) / threads;
  }
  p.est_latency_preencoded_s = latency;
  p.est_latency_onthefly_s = latency + encode_seconds;
  // Default budget: a quarter of the machine (it is shared, and the allocator's overhead on millions of
  // small plaintext buffers is measured at up to 1.7x the payload).
  const std::size_t budget = o.memory_budget ? o.memory_budget : (physical_memory_bytes() ? physical_memory_bytes() : std::size_t{8} << 30) / 4;
  p.weight_mode = p.est_peak_bytes_preencoded <= budget ? WeightMode::kPreEncoded : WeightMode::kOnTheFly;
  try {
    validate_plan(p, "plan");
  } catch (const FormatError& e) {
    throw InvalidArgument(std::string(e.what()) + " (choose a smaller batch or model)");
  }
  return p;
}
}  // namespace

// ---------------------------------------------------------------------------------------------- JSON

namespace {

io::KeyId key_set_from_hex(const std::string& hex, const std::string& name) {
  io::KeyId id{};
  if (hex.empty()) return id;
  auto nibble = [&](char c) -> unsigned {
    if (c >= '0' && c <= '9') return unsigned(c - '0');
    if (c >= 'a' && c <= 'f') return unsigned(c - 'a' + 10);
    throw FormatError(name + ": \"key_set\" is not lower-case hex");
  };
  if (hex.size() != 2 * id.size()) throw FormatError(name + ": \"key_set\" must hold " + std::to_string(2 * id.size()) + " hex digits");
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = std::uint8_t(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
  return id;
}

json counts_json(const OpCounts& c) {
  json j = json::object();
  for (std::size_t i = 0; i < backend::kOpKinds; ++i)
    if (c.n[i]) j[backend::op_name(static_cast<Op>(i))] = c.n[i];
  return j;
}

OpCounts counts_from_json(const json& j, const std::string& what) {
  OpCounts c;
  for (std::size_t i = 0; i < backend::kOpKinds; ++i) {
    const char* name = backend::op_name(static_cast<Op>(i));
    if (j.contains(name)) c.n[i] = io::json_integer_at<std::uint64_t>(j, name, what + ": \"counts\"");
  }
  return c;
}

}  // namespace

json Plan::to_json() const {
  json layers_j = json::array();
  for (const auto& l : layers)
    layers_j.push_back({{"in", l.in},
                        {"out", l.out},
                        {"orientation", l.transposed ? "transposed" : "rows"},
                        {"square", l.square},
                        {"clear_and_duplicate", l.clear_and_duplicate},
                        {"unknowns_to_next", l.unknowns_to_next},
                        {"input_copies", l.input_copies},
                        {"fill_dead_rows", l.fill_dead_rows},
                        {"clear_output", l.clear_output},
                        {"level_in", l.level_in},
                        {"level_out", l.level_out},
                        {"tiles_kept", l.tiles_kept},
                        {"tiles_total", l.tiles_total},
                        {"dead_tile_rows", l.dead_tile_rows},
                        {"weight_plaintexts", l.weight_plaintexts},
                        {"weight_bytes", l.weight_bytes},
                        {"est_seconds", l.est_seconds},
                        {"counts", counts_json(l.counts)}});
  return {{"format", "hepex-plan"},
          {"version", kVersion},
          {"model_arch", model_arch},
          {"model_hash", model_hash},
          {"tile", {t1, t2, t3}},
          {"batch", batch},
          {"batch_layout", batch_layout_name(batch_layout)},
          {"hoisted_rotations", hoisted_rotations},
          {"sum_after_rescale", sum_after_rescale},
          {"input_size", input_size},
          {"output_size", output_size},
          {"input_perm", input_perm},
          {"output_perm", output_perm},
          {"depth", depth},
          {"ckks",
           {{"ring_degree", ckks.ring_degree},
            {"data_bits", ckks.data_bits},
            {"special_bits", ckks.special_bits},
            {"dnum", ckks.dnum},
            {"scale_bits", ckks.scale_bits},
            {"secure", ckks.secure},
            {"total_bits", ckks.total_bits()}}},
          {"rotation_steps", rotation_steps},
          {"rotation_key_levels", rotation_key_levels},
          {"relin_key_level", relin_key_level},
          {"unread_input_rows", unread_input_rows},
          {"weight_mode", weight_mode_name(weight_mode)},
          {"preencoded_weight_bytes", preencoded_weight_bytes},
          {"onthefly_weight_bytes", onthefly_weight_bytes},
          {"input_ciphertexts", input_ciphertexts},
          {"output_ciphertexts", output_ciphertexts},
          {"input_bytes", input_bytes},
          {"output_bytes", output_bytes},
          {"eval_key_bytes", eval_key_bytes},
          {"est_peak_bytes_preencoded", est_peak_bytes_preencoded},
          {"est_peak_bytes_onthefly", est_peak_bytes_onthefly},
          {"est_latency_preencoded_s", est_latency_preencoded_s},
          {"est_latency_onthefly_s", est_latency_onthefly_s},
          {"key_set", io::is_set(key_set) ? to_hex(key_set) : std::string()},
          {"layers", layers_j}};
}

Plan Plan::from_json(const json& j, const std::string& name) {
  try {
    if (j.value("format", "") != "hepex-plan") throw FormatError(name + ": not a hepex plan (no \"format\": \"hepex-plan\")");
    const int version = io::json_integer_at<int>(j, "version", name);
    if (version != kVersion)
      throw FormatError(name + ": plan version " + std::to_string(version) + ", this build reads " + std::to_string(kVersion));
    Plan p;
    p.model_arch = j.at("model_arch").get<std::string>();
    p.model_hash = io::json_integer_at<std::uint64_t>(j, "model_hash", name);
    const auto tile = io::json_integers_at<std::size_t>(j, "tile", name);
    if (tile.size() != 3) throw FormatError(name + ": \"tile\" must hold 3 sizes");
    p.t1 = tile[0];
    p.t2 = tile[1];
    p.t3 = tile[2];
    p.batch = io::json_integer_at<std::size_t>(j, "batch", name);
    p.hoisted_rotations = io::json_integer_or<std::size_t>(j, "hoisted_rotations", 1, name);
    p.sum_after_rescale = j.value("sum_after_rescale", false);  // absent before the rescale moved
    const std::string layout = j.value("batch_layout", std::string("inner"));
    if (layout != "inner" && layout != "outer")
      throw FormatError(name + ": \"batch_layout\" is \"" + layout + "\", expected \"inner\" or \"outer\"");
    p.batch_layout = layout == "outer" ? tile::BatchLayout::kOuter : tile::BatchLayout::kInner;
    p.input_size = io::json_integer_at<std::size_t>(j, "input_size", name);
    p.output_size = io::json_integer_at<std::size_t>(j, "output_size", name);
    p.input_perm = io::json_integers_at<std::uint32_t>(j, "input_perm", name);
    p.output_perm = io::json_integers_at<std::uint32_t>(j, "output_perm", name);
    p.depth = io::json_integer_at<int>(j, "depth", name);
    const auto& c = j.at("ckks");
    const std::string ckks_name = name + ": \"ckks\"";
    p.ckks.ring_degree = io::json_integer_at<std::size_t>(c, "ring_degree", ckks_name);
    p.ckks.data_bits = io::json_integers_at<int>(c, "data_bits", ckks_name);
    p.ckks.special_bits = io::json_integers_at<int>(c, "special_bits", ckks_name);
    p.ckks.dnum = io::json_integer_at<std::size_t>(c, "dnum", ckks_name);
    p.ckks.scale_bits = io::json_integer_at<int>(c, "scale_bits", ckks_name);
    p.ckks.secure = c.at("secure").get<bool>();
    p.rotation_steps = io::json_integers_at<int>(j, "rotation_steps", name);
    if (j.contains("rotation_key_levels")) p.rotation_key_levels = io::json_integers_at<int>(j, "rotation_key_levels", name);
    p.relin_key_level = io::json_integer_or<int>(j, "relin_key_level", -1, name);
    if (j.contains("unread_input_rows")) p.unread_input_rows = io::json_integers_at<std::size_t>(j, "unread_input_rows", name);
    p.weight_mode = parse_weight_mode(j.at("weight_mode").get<std::string>());
    p.preencoded_weight_bytes = io::json_integer_at<std::size_t>(j, "preencoded_weight_bytes", name);
    p.onthefly_weight_bytes = io::json_integer_at<std::size_t>(j, "onthefly_weight_bytes", name);
    p.input_ciphertexts = io::json_integer_at<std::size_t>(j, "input_ciphertexts", name);
    p.output_ciphertexts = io::json_integer_at<std::size_t>(j, "output_ciphertexts", name);
    p.input_bytes = io::json_integer_at<std::size_t>(j, "input_bytes", name);
    p.output_bytes = io::json_integer_at<std::size_t>(j, "output_bytes", name);
    p.eval_key_bytes = io::json_integer_at<std::size_t>(j, "eval_key_bytes", name);
    p.est_peak_bytes_preencoded = io::json_integer_at<std::size_t>(j, "est_peak_bytes_preencoded", name);
    p.est_peak_bytes_onthefly = io::json_integer_at<std::size_t>(j, "est_peak_bytes_onthefly", name);
    p.est_latency_preencoded_s = j.at("est_latency_preencoded_s").get<double>();
    p.est_latency_onthefly_s = j.at("est_latency_onthefly_s").get<double>();
    for (const auto& l : j.at("layers")) {
      const std::string layer = name + ": layer " + std::to_string(p.layers.size());
      LayerPlan lp;
      lp.in = io::json_integer_at<std::size_t>(l, "in", layer);
      lp.out = io::json_integer_at<std::size_t>(l, "out", layer);
      lp.transposed = l.at("orientation").get<std::string>() == "transposed";
      lp.square = l.at("square").get<bool>();
      lp.clear_and_duplicate = l.at("clear_and_duplicate").get<bool>();
      lp.unknowns_to_next = l.value("unknowns_to_next", false);  // absent before the repair in the weights
      lp.input_copies = l.value("input_copies", false);
      lp.fill_dead_rows = l.at("fill_dead_rows").get<bool>();
      lp.clear_output = l.value("clear_output", false);  // absent in plans made before the output clear
      lp.level_in = io::json_integer_at<int>(l, "level_in", layer);
      lp.level_out = io::json_integer_at<int>(l, "level_out", layer);
      lp.tiles_kept = io::json_integer_at<std::size_t>(l, "tiles_kept", layer);
      lp.tiles_total = io::json_integer_at<std::size_t>(l, "tiles_total", layer);
      lp.dead_tile_rows = io::json_integer_at<std::size_t>(l, "dead_tile_rows", layer);
      lp.weight_plaintexts = io::json_integer_at<std::size_t>(l, "weight_plaintexts", layer);
      lp.weight_bytes = io::json_integer_at<std::size_t>(l, "weight_bytes", layer);
      lp.est_seconds = l.at("est_seconds").get<double>();
      lp.counts = counts_from_json(l.at("counts"), layer);
      p.layers.push_back(lp);
    }
    p.key_set = key_set_from_hex(j.value("key_set", std::string()), name);
    validate_plan(p, name);
    return p;
  } catch (const json::exception& e) {
    throw FormatError(name + ": malformed plan: " + e.what());
  }
}

std::string Plan::to_text() const { return to_json().dump(2) + "\n"; }

void Plan::save(const std::string& path) const { io::write_file_atomic(path, to_text()); }

Plan Plan::load(const std::string& path) { return parse(io::read_file_bytes(path, PlanLimits::kMaxPlanFileBytes), path); }

void Plan::write(std::ostream& out) const {
  const std::string text = to_text();
  io::write_stream_bytes(out, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), "plan");
}

Plan Plan::read(std::istream& in, const std::string& name) {
  return parse(io::read_stream_bytes(in, name, PlanLimits::kMaxPlanFileBytes), name);
}

Plan Plan::parse(std::span<const std::uint8_t> bytes, const std::string& name) {
  if (bytes.size() > PlanLimits::kMaxPlanFileBytes)
    throw FormatError(name + ": " + std::to_string(bytes.size()) + " bytes, larger than any plan (at most " +
                      std::to_string(PlanLimits::kMaxPlanFileBytes) + ")");
  json j;
  try {
    j = json::parse(bytes.begin(), bytes.end());
  } catch (const json::exception& e) {
    throw FormatError(name + ": not JSON: " + e.what());
  }
  return from_json(j, name);
}

namespace {

void check_permutation(const nn::Permutation& perm, std::size_t size, const char* field, const std::string& name) {
  if (perm.empty()) return;
  if (perm.size() != size)
    throw FormatError(name + ": \"" + field + "\" has " + std::to_string(perm.size()) + " entries, expected " +
                      std::to_string(size));
  std::vector<bool> seen(size, false);
  for (std::size_t i = 0; i < size; ++i) {
    const std::size_t v = perm[i];
    if (v >= size || seen[v])
      throw FormatError(name + ": \"" + field + "\" is not a permutation (entry " + std::to_string(i) + " is " +
                        std::to_string(v) + (v >= size ? ", out of range)" : ", repeated)"));
    seen[v] = true;
  }
}

}  // namespace

void validate_plan(const Plan& p, const std::string& name) {
  using L = PlanLimits;
  auto fail = [&](const std::string& what) { throw FormatError(name + ": " + what); };
  auto in = [](auto v, auto lo, auto hi) { return v >= lo && v <= hi; };
  const auto& c = p.ckks;
  if (c.ring_degree < 16 || c.ring_degree > (std::size_t{1} << 17) || (c.ring_degree & (c.ring_degree - 1)))
    fail("ring degree " + std::to_string(c.ring_degree) + " is not a power of two in [16, 131072]");
  if (!in(c.data_bits.size(), std::size_t{1}, L::kMaxPrimes))
    fail(std::to_string(c.data_bits.size()) + " data primes, expected 1 to " + std::to_string(L::kMaxPrimes));
  if (!in(c.special_bits.size(), std::size_t{1}, L::kMaxSpecialPrimes))
    fail(std::to_string(c.special_bits.size()) + " special primes, expected 1 to " + std::to_string(L::kMaxSpecialPrimes));
  for (int b : c.data_bits)
    if (!in(b, 20, 60)) fail("data prime of " + std::to_string(b) + " bits, expected 20 to 60");
  for (int b : c.special_bits)
    if (!in(b, 20, 60)) fail("special prime of " + std::to_string(b) + " bits, expected 20 to 60");
  if (!in(c.dnum, std::size_t{1}, c.data_bits.size())) fail("dnum " + std::to_string(c.dnum) + " is outside [1, data primes]");
  if (!in(c.scale_bits, 10, 60)) fail("scale of 2^" + std::to_string(c.scale_bits) + ", expected 2^10 to 2^60");
  const std::size_t slots = c.ring_degree / 2;
  if (p.t1 == 0 || p.t2 == 0 || p.t3 == 0 || p.t1 > slots || p.t2 > slots || p.t3 > slots || p.t1 * p.t2 * p.t3 != slots)
    fail("tile sizes " + std::to_string(p.t1) + "x" + std::to_string(p.t2) + "x" + std::to_string(p.t3) +
         " do not fill the " + std::to_string(slots) + " slots of the ring");
  if (p.depth < 1 || p.depth + 1 != int(c.data_bits.size())) fail("depth " + std::to_string(p.depth) + " does not match the CKKS chain");
  if (!valid_hoisted_rotations(p.hoisted_rotations))
    fail("hoisted_rotations " + std::to_string(p.hoisted_rotations) + ", expected a power of two from 1 to " +
         std::to_string(L::kMaxHoistedRotations));
  if (p.batch_layout == tile::BatchLayout::kOuter && p.t3 < 2) fail("the batch-outer layout needs a batch tile of at least 2");
  if (!in(p.batch, std::size_t{1}, L::kMaxBatch))
    fail("batch " + std::to_string(p.batch) + " is outside [1, " + std::to_string(L::kMaxBatch) + "]");
  for (auto [size, what] : {std::pair{p.input_size, "input"}, std::pair{p.output_size, "output"}}) {
    if (!in(size, std::size_t{1}, L::kMaxFeatures)) fail(std::string(what) + " size " + std::to_string(size) + " is out of range");
    if (size * p.batch > L::kMaxPackedValues)
      fail(std::string(what) + " matrix of " + std::to_string(size) + " x batch " + std::to_string(p.batch) +
           " values exceeds the limit of " + std::to_string(L::kMaxPackedValues));
  }
  check_permutation(p.input_perm, p.input_size, "input_perm", name);
  check_permutation(p.output_perm, p.output_size, "output_perm", name);
  if (p.rotation_steps.size() > slots) fail(std::to_string(p.rotation_steps.size()) + " rotation steps, more than the slots");
  for (std::size_t i = 0; i < p.rotation_steps.size(); ++i) {
    const int s = p.rotation_steps[i];
    if (s <= 0 || std::size_t(s) >= slots || (i > 0 && s <= p.rotation_steps[i - 1]))
      fail("rotation step " + std::to_string(s) + " is not in (0, " + std::to_string(slots) + ") in increasing order");
  }
  if (!p.rotation_key_levels.empty() && p.rotation_key_levels.size() != p.rotation_steps.size())
    fail(std::to_string(p.rotation_key_levels.size()) + " rotation key levels for " +
         std::to_string(p.rotation_steps.size()) + " rotation steps");
  for (int level : p.rotation_key_levels)
    if (!in(level, 0, static_cast<int>(c.max_level())))
      fail("rotation key level " + std::to_string(level) + " is outside [0, " + std::to_string(c.max_level()) + "]");
  if (!in(p.relin_key_level, -1, static_cast<int>(c.max_level())))
    fail("relinearization key level " + std::to_string(p.relin_key_level) + " is outside [-1, " +
         std::to_string(c.max_level()) + "]");
  const std::size_t input_rows = p.input_tile_rows();
  if (p.unread_input_rows.size() >= input_rows)
    fail(std::to_string(p.unread_input_rows.size()) + " unread input rows of " + std::to_string(input_rows) +
         ": the first layer must read some input");
  for (std::size_t i = 0; i < p.unread_input_rows.size(); ++i) {
    const std::size_t r = p.unread_input_rows[i];
    if (r >= input_rows || (i > 0 && r <= p.unread_input_rows[i - 1]))
      fail("unread input row " + std::to_string(r) + " is not in [0, " + std::to_string(input_rows) + ") in increasing order");
  }
  if (!in(p.layers.size(), std::size_t{1}, L::kMaxLayers)) fail(std::to_string(p.layers.size()) + " layers, expected 1 to 64");
  std::size_t width = p.input_size;
  int level = c.max_level();
  for (std::size_t l = 0; l < p.layers.size(); ++l) {
    const auto& lp = p.layers[l];
    if (lp.in != width || !in(lp.out, std::size_t{1}, L::kMaxFeatures))
      fail("layer " + std::to_string(l) + " (" + std::to_string(lp.in) + " -> " + std::to_string(lp.out) +
           ") does not continue the chain of widths");
    if (lp.level_in != level || lp.level_out >= lp.level_in || lp.level_out < 0)
      fail("layer " + std::to_string(l) + " levels " + std::to_string(lp.level_in) + " -> " + std::to_string(lp.level_out) +
           " do not follow the chain");
    width = lp.out;
    level = lp.level_out;
  }
  if (width != p.output_size) fail("the last layer's width differs from the output size");
}

std::string format_plan(const Plan& p) {
  std::ostringstream o;
  char buf[512];
  std::snprintf(buf, sizeof buf, "plan: %s, tiles %zux%zux%zu, batch %zu (%zu batch tiles, %s), depth %d\n",
                p.model_arch.c_str(), p.t1, p.t2, p.t3, p.batch, p.batch_tiles(),
                p.batch_layout == tile::BatchLayout::kOuter ? "batch outermost: compact weights" : "batch innermost",
                p.depth);
  o << buf;
  const auto joined = [](const std::vector<int>& bits) {
    std::string text;
    for (int b : bits) text += (text.empty() ? "" : ", ") + std::to_string(b);
    return text;
  };
  const std::string chain = joined(p.ckks.data_bits), special = joined(p.ckks.special_bits);
  std::snprintf(buf, sizeof buf, "CKKS: N = %zu, primes {%s} + {%s}, scale 2^%d, log QP = %d%s, dnum %zu\n",
                p.ckks.ring_degree, chain.c_str(), special.c_str(), p.ckks.scale_bits, p.ckks.total_bits(),
                p.ckks.secure ? " (128-bit)" : " (INSECURE test parameters)", p.ckks.dnum);
  o << buf;
  // Each step with the level its key is kept up to ("1@11"), when the plan trims keys.
  std::string steps;
  for (std::size_t i = 0; i < p.rotation_steps.size(); ++i)
    steps += (steps.empty() ? "" : " ") + std::to_string(p.rotation_steps[i]) +
             (p.rotation_key_levels.empty() ? "" : "@" + std::to_string(p.rotation_key_levels[i]));
  o << "rotation steps (" << p.rotation_steps.size() << (p.rotation_key_levels.empty() ? "" : ", @ key level")
    << ", hoisted sums of " << p.hoisted_rotations << (p.sum_after_rescale ? ", after the rescale" : "")
    << "): " << steps;
  if (p.relin_key_level >= 0) o << "; relinearization key @" << p.relin_key_level;
  o << '\n';
  // unknowns: how the partial sums beside the layer's outputs go (cleared by a mask, or by the next weights).
  o << "layer  in->out     orient  act  unknowns  lvl in->out  tiles kept/total  ct*pt   rot  rescale  weights MB  est s\n";
  for (std::size_t l = 0; l < p.layers.size(); ++l) {
    const auto& L = p.layers[l];
    const char* unknowns = L.unknowns_to_next                           ? "next"
                           : L.clear_and_duplicate || L.clear_output ? "mask"
                                                                      : "-";
    std::snprintf(buf, sizeof buf,
                  "%5zu  %4zu->%-5zu  %-6s  %-3s  %-8s  %3d -> %-3d  %8zu/%-8zu %7llu %5llu %8llu %10.1f %6.2f\n", l,
                  L.in, L.out, L.transposed ? "T" : "R", L.square ? "x^2" : "-", unknowns, L.level_in, L.level_out,
                  L.tiles_kept, L.tiles_total, (unsigned long long)L.counts[Op::kMultiplyPlain],
                  (unsigned long long)L.counts[Op::kRotate], (unsigned long long)L.counts[Op::kRescale],
                  L.weight_bytes / 1e6, L.est_seconds);
    o << buf;
  }
  std::snprintf(buf, sizeof buf,
                "weights: %s (pre-encoded %.1f MB, on-the-fly %.1f MB at a time); eval keys %.1f MB (read from a file: each layer's only);\n"
                "ciphertexts: in %zu (%.1f MB), out %zu (%.1f MB); est. peak %.2f GB / %.2f GB; "
                "est. latency %.1f s / %.1f s (pre-encoded / on-the-fly)\n",
                weight_mode_name(p.weight_mode), p.preencoded_weight_bytes / 1e6, p.onthefly_weight_bytes / 1e6,
                p.eval_key_bytes / 1e6, p.input_ciphertexts, p.input_bytes / 1e6, p.output_ciphertexts,
                p.output_bytes / 1e6, p.est_peak_bytes_preencoded / 1e9, p.est_peak_bytes_onthefly / 1e9,
                p.est_latency_preencoded_s, p.est_latency_onthefly_s);
  o << buf;
  if (!p.unread_input_rows.empty())
    o << "inputs not sent: " << p.unread_input_rows.size() << " of " << p.input_tile_rows()
      << " input tile rows, whose first-layer weights are all pruned\n";
  return o.str();
}

}  // namespace hepex::infer
