// Bounded work: running and queue limits, the memory budget, cancellation while queued, shutdown.
#include "service/admission.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "service/errors.hpp"

namespace hepex::service {
namespace {

using namespace std::chrono_literals;
const auto never = [] { return false; };

TEST(Admission, QueuesUpToTheLimitThenRefusesWithBusy) {
  Admission a(1, 1, 1000);
  auto first = std::make_unique<Admission::Ticket>(a.acquire(10, "first", never));
  EXPECT_EQ(a.active(), 1u);
  std::atomic<bool> second_in{false};
  std::thread second([&] {
    auto t = a.acquire(10, "second", never);
    second_in = true;
  });
  while (a.queued() == 0) std::this_thread::sleep_for(1ms);
  EXPECT_FALSE(second_in);
  EXPECT_THROW(a.acquire(10, "third", never), Busy);  // one running, one queued: full
  first.reset();                                      // the running one ends: the queued one runs
  second.join();
  EXPECT_TRUE(second_in);
  EXPECT_EQ(a.active(), 0u);
  EXPECT_EQ(a.queued(), 0u);
}

TEST(Admission, MemoryBudgetAdmitsWhatFitsAndRefusesWhatNeverFits) {
  Admission a(4, 0, 100);
  auto t1 = a.acquire(60, "a", never);
  EXPECT_THROW(a.acquire(50, "b", never), Busy);  // 60 + 50 > 100 and no queue
  auto t2 = a.acquire(40, "c", never);            // 60 + 40 fits
  try {
    a.acquire(101, "huge", never);
    FAIL() << "a request larger than the budget was admitted";
  } catch (const Busy& e) {
    EXPECT_NE(std::string(e.what()).find("memory budget"), std::string::npos) << e.what();
  }
}

TEST(Admission, AQueuedRequestLeavesWhenCancelled) {
  Admission a(1, 2, 1000);
  auto t = a.acquire(1, "running", never);
  std::atomic<bool> cancel{false};
  std::thread waiter([&] { EXPECT_THROW(a.acquire(1, "queued", [&] { return cancel.load(); }), Cancelled); });
  while (a.queued() == 0) std::this_thread::sleep_for(1ms);
  cancel = true;
  waiter.join();
  EXPECT_EQ(a.queued(), 0u);
  EXPECT_EQ(a.active(), 1u);
}

TEST(Admission, CloseRefusesNewRequestsButLetsQueuedOnesRun) {
  Admission a(1, 2, 1000);
  auto running = std::make_unique<Admission::Ticket>(a.acquire(1, "running", never));
  std::atomic<bool> ran{false};
  std::thread queued([&] {
    auto t = a.acquire(1, "queued", never);
    ran = true;
  });
  while (a.queued() == 0) std::this_thread::sleep_for(1ms);
  a.close();
  EXPECT_THROW(a.acquire(1, "late", never), Unavailable);
  running.reset();
  queued.join();
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace hepex::service
