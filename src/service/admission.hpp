#pragma once
// Bounded work: at most `max_active` requests run at once, at most `max_queued` wait, and the memory the
// running requests are estimated to need (the planner's estimate) stays within `memory_budget`. A request
// that cannot be admitted now waits in the queue if there is room, else is refused with Busy (gRPC
// RESOURCE_EXHAUSTED) — never swapped in; a request larger than the whole budget is refused at once. A
// waiting request leaves the queue when `cancelled()` turns true (client cancel, deadline) with Cancelled.
// close() (shutdown) refuses new requests with Unavailable; those already queued still run (draining).
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>

namespace hepex::service {

class Admission {
 public:
  Admission(std::size_t max_active, std::size_t max_queued, std::size_t memory_budget);

  // Holds a slot and `bytes` of the budget until destroyed.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& o) noexcept : owner_(o.owner_), bytes_(o.bytes_) { o.owner_ = nullptr; }
    Ticket& operator=(Ticket&&) = delete;
    Ticket(const Ticket&) = delete;
    ~Ticket();

   private:
    friend class Admission;
    Ticket(Admission* owner, std::size_t bytes) : owner_(owner), bytes_(bytes) {}
    Admission* owner_ = nullptr;
    std::size_t bytes_ = 0;
  };

  // `what` names the request in messages. `cancelled` is polled while waiting (every 50 ms).
  Ticket acquire(std::size_t bytes, const std::string& what, const std::function<bool()>& cancelled);

  // Refuses every later acquire with Unavailable.
  void close();

  std::size_t active() const;
  std::size_t queued() const;
  std::size_t memory_budget() const { return budget_; }

 private:
  void release(std::size_t bytes);

  const std::size_t max_active_, max_queued_, budget_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::size_t active_ = 0, queued_ = 0, used_ = 0;
  bool closed_ = false;
};

}  // namespace hepex::service
