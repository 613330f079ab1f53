#pragma once
// An OpenMP loop over independent items whose body may throw: an exception may not leave an OpenMP region,
// so the first one is caught and rethrown on the calling thread once the loop is done.
#include <cstddef>
#include <exception>
#include <mutex>

namespace hepex {

template <class Fn>
void parallel_for(std::size_t n, Fn fn) {
  std::exception_ptr error;
  std::mutex error_mutex;
#pragma omp parallel for schedule(dynamic)
  for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(n); ++i) {
    try {
      fn(static_cast<std::size_t>(i));
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace hepex
