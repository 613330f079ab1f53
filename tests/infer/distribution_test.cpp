// A shared evaluation (infer/distribution.hpp) without MPI: K executors in K threads, gathering through
// shared memory, must give the single executor's output tile for tile, slot for slot, and split the work
// (products, rotations) without doing any of it twice. The MPI transport is tested in tests/distributed.
#include <gtest/gtest.h>

#include <barrier>
#include <exception>
#include <thread>

#include "backend/sim_backend.hpp"
#include "infer/client.hpp"
#include "infer/distribution.hpp"
#include "infer/executor.hpp"
#include "infer/plan.hpp"
#include "infer_test_util.hpp"

namespace hepex::infer {
namespace {

using backend::Op;

TEST(SplitTileRows, CoversEveryRowOnceWithBalancedLiveRows) {
  const std::vector<std::vector<bool>> patterns = {
      {false}, {false, false, false, false, false, false, false}, {true, false, true, true, false, false, true},
      {true, true, true}, {false, true, true, true, true, false}};
  for (const auto& dead : patterns)
    for (std::size_t parts = 1; parts <= 8; ++parts) {
      SCOPED_TRACE(::testing::Message() << dead.size() << " rows, " << parts << " parts");
      const auto ranges = split_tile_rows(dead, parts);
      ASSERT_EQ(ranges.size(), parts);
      std::vector<int> covered(dead.size(), 0);
      std::size_t live_total = 0, lo = dead.size(), hi = 0;
      for (const auto& r : ranges) {
        for (std::size_t row = r.begin; row < r.end; ++row) covered.at(row) += 1;
        std::size_t live = 0;
        for (std::size_t row = r.begin; row < r.end; ++row) live += dead[row] ? 0 : 1;
        live_total += live;
        lo = std::min(lo, live);
        hi = std::max(hi, live);
        if (!r.empty() && live > 0) EXPECT_FALSE(dead[r.begin] && r.begin != 0) << "a range starts at a dead row";
      }
      for (std::size_t row = 0; row < dead.size(); ++row) EXPECT_EQ(covered[row], 1) << "row " << row;
      if (live_total > 0) EXPECT_LE(hi - lo, 1u) << "live rows unbalanced";
    }
}

// Distribution among threads of one process: each part leaves its tiles on a board, all read every board.
class ThreadTeam {
 public:
  explicit ThreadTeam(std::size_t parts) : boards_(parts), sync_(std::ptrdiff_t(parts)) {}
  std::size_t parts() const { return boards_.size(); }

  tile::CipherTileTensor gather(std::size_t part, tile::CipherTileTensor mine, const std::vector<std::size_t>& owner) {
    const auto shape = mine.shape();
    boards_[part] = std::move(mine).take_tiles();
    sync_.arrive_and_wait();
    std::vector<backend::Ciphertext> all(owner.size());
    for (std::size_t i = 0; i < owner.size(); ++i) all[i] = boards_[owner[i]][i];
    sync_.arrive_and_wait();  // nobody replaces a board before everyone has read it
    return tile::CipherTileTensor(shape, std::move(all));
  }

 private:
  std::vector<std::vector<backend::Ciphertext>> boards_;
  std::barrier<> sync_;
};

class ThreadDistribution final : public Distribution {
 public:
  ThreadDistribution(ThreadTeam& team, std::size_t part) : team_(team), part_(part) {}
  std::size_t parts() const override { return team_.parts(); }
  std::size_t part() const override { return part_; }
  tile::CipherTileTensor gather(const backend::Backend&, tile::CipherTileTensor mine,
                                const std::vector<std::size_t>& owner, std::size_t&) const override {
    return team_.gather(part_, std::move(mine), owner);
  }

 private:
  ThreadTeam& team_;
  std::size_t part_;
};

void expect_same_tiles(const backend::SimBackend& sim, const tile::CipherTileTensor& got,
                       const tile::CipherTileTensor& want, const std::string& who) {
  ASSERT_EQ(got.shape().to_string(), want.shape().to_string()) << who;
  for (std::size_t i = 0; i < want.tile_count(); ++i) {
    ASSERT_EQ(got.absent(i), want.absent(i)) << who << " tile " << i;
    if (want.absent(i)) continue;
    EXPECT_EQ(sim.level(got.tile(i)), sim.level(want.tile(i))) << who << " tile " << i;
    EXPECT_EQ(sim.scale(got.tile(i)), sim.scale(want.tile(i))) << who << " tile " << i;
    EXPECT_EQ(sim.peek(got.tile(i)), sim.peek(want.tile(i))) << who << " tile " << i;
  }
}

TEST(SharedEvaluation, ThreadsEqualOneExecutorAndSplitTheWork) {
  const auto m = testing::pruned_model_2x4(11);
  for (auto repair : {UnknownsRepair::kClearAndDuplicate, UnknownsRepair::kMaskInNextWeights})
  for (auto layout : {tile::BatchLayout::kInner, tile::BatchLayout::kOuter}) {
    SCOPED_TRACE(repair == UnknownsRepair::kMaskInNextWeights ? "copies" : "cleared");
    PlanOptions o;
    o.ring_degree = 128;
    o.insecure = true;
    o.batch_layout = layout;
    o.unknowns_repair = {repair};
    const Plan plan = make_plan(m, 2, 4, 11, o);
    backend::SimBackend sim(plan.ckks.sim_params());
    const auto net = compile_for(m, plan);
    const auto x = encrypt_input(sim, plan, testing::random_inputs(10, 16, 5), 10);
    for (auto mode : {WeightMode::kPreEncoded, WeightMode::kOnTheFly}) {
      std::vector<LayerRun> single_runs;
      const auto want = Executor(sim, net, plan.batch, mode, /*block_bytes=*/1).run(x, &single_runs);
      // 5 parts exceed the live tile rows of some layers: those parts sit idle there.
      for (std::size_t parts : {1, 2, 3, 5}) {
        const std::string who = std::string(weight_mode_name(mode)) + ", " + std::to_string(parts) + " parts";
        ThreadTeam team(parts);
        std::vector<tile::CipherTileTensor> got(parts);
        std::vector<std::vector<LayerRun>> runs(parts);
        std::vector<std::exception_ptr> errors(parts);
        std::vector<std::thread> threads;
        for (std::size_t p = 0; p < parts; ++p)
          threads.emplace_back([&, p] {
            try {
              const ThreadDistribution d(team, p);
              got[p] = Executor(sim, net, plan.batch, mode, /*block_bytes=*/1, &d).run(x, &runs[p]);
            } catch (...) {
              errors[p] = std::current_exception();
            }
          });
        for (auto& t : threads) t.join();
        for (auto& e : errors)
          if (e) std::rethrow_exception(e);
        for (std::size_t p = 0; p < parts; ++p) expect_same_tiles(sim, got[p], want, who + ", part " + std::to_string(p));
        for (std::size_t l = 0; l < single_runs.size(); ++l) {
          std::uint64_t products = 0, rotations = 0;
          for (const auto& r : runs) {
            products += r[l].counts[Op::kMultiplyPlain];
            rotations += r[l].counts[Op::kRotate];
          }
          EXPECT_EQ(products, single_runs[l].counts[Op::kMultiplyPlain]) << who << ", layer " << l;
          EXPECT_EQ(rotations, single_runs[l].counts[Op::kRotate]) << who << ", layer " << l;
        }
      }
    }
  }
}

}  // namespace
}  // namespace hepex::infer
