#include "service/admission.hpp"

#include <chrono>

#include "service/errors.hpp"

namespace hepex::service {

namespace {
std::string mb(std::size_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB"; }
}  // namespace

Admission::Admission(std::size_t max_active, std::size_t max_queued, std::size_t memory_budget)
    : max_active_(max_active ? max_active : 1), max_queued_(max_queued), budget_(memory_budget) {}

Admission::Ticket::~Ticket() {
  if (owner_) owner_->release(bytes_);
}

Admission::Ticket Admission::acquire(std::size_t bytes, const std::string& what, const std::function<bool()>& cancelled) {
  std::unique_lock lock(m_);
  if (closed_) throw Unavailable(what + ": the server is shutting down");
  if (bytes > budget_)
    throw Busy(what + ": needs about " + mb(bytes) + ", more than the server's memory budget of " + mb(budget_));
  const auto fits = [&] { return active_ < max_active_ && used_ + bytes <= budget_; };
  if (!fits()) {
    if (queued_ >= max_queued_)
      throw Busy(what + ": the server is busy (" + std::to_string(active_) + " running, " + std::to_string(queued_) +
                 " queued, " + mb(used_) + " of " + mb(budget_) + " in use); try again later");
    ++queued_;
    while (!fits()) {
      if (cancelled && cancelled()) {
        --queued_;
        throw Cancelled(what + ": cancelled while queued");
      }
      cv_.wait_for(lock, std::chrono::milliseconds(50));
    }
    --queued_;
  }
  ++active_;
  used_ += bytes;
  return Ticket(this, bytes);
}

void Admission::release(std::size_t bytes) {
  {
    std::lock_guard lock(m_);
    --active_;
    used_ -= bytes;
  }
  cv_.notify_all();
}

void Admission::close() {
  {
    std::lock_guard lock(m_);
    closed_ = true;
  }
  cv_.notify_all();
}

std::size_t Admission::active() const {
  std::lock_guard lock(m_);
  return active_;
}
std::size_t Admission::queued() const {
  std::lock_guard lock(m_);
  return queued_;
}

}  // namespace hepex::service
