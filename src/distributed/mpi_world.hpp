#pragma once
// The MPI side of `mpirun -np K hepex infer` (Debian's OpenMPI, MPI C API): the world of ranks, byte
// broadcasts of any size, and the status protocol that keeps one rank's failure from leaving the others
// waiting forever. Only this module includes <mpi.h>; the executor sees an infer::Distribution.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace hepex::distributed {

// Whether an MPI launcher (mpirun, mpiexec, srun with PMIx) started this process: the variables OpenMPI and
// PMI set for every rank. Without one, hepex never calls MPI and runs as a single process.
bool launched_by_mpi();

// Another rank failed and has reported the error itself (so this rank only exits non-zero, silently).
class PeerError : public Error {
 public:
  explicit PeerError(const std::string& what) : Error(what) {}
};

// MPI_Init on construction, MPI_Finalize on destruction: one per process, for its whole MPI life (MPI
// cannot be initialized twice).
class MpiWorld {
 public:
  MpiWorld();
  ~MpiWorld();
  MpiWorld(const MpiWorld&) = delete;
  MpiWorld& operator=(const MpiWorld&) = delete;

  std::size_t rank() const { return rank_; }
  std::size_t size() const { return size_; }
  bool is_root() const { return rank_ == 0; }

  // Rank 0 runs `work`, then every rank learns whether it succeeded: rank 0 rethrows its own error, the
  // others throw PeerError. Collective: every rank must call it, in the same order. Keeps a failure on
  // rank 0 (a missing or corrupted file) from leaving the other ranks waiting in the next collective.
  void on_root(const std::function<void()>& work) const;

  // `bytes` of rank `root` on every rank, in chunks below MPI's int count limit. Collective.
  void broadcast(std::vector<std::uint8_t>& bytes, std::size_t root = 0) const;
  // Every rank's `mine`, indexed by rank (each rank's own included). Collective.
  std::vector<std::vector<std::uint8_t>> allgather(std::vector<std::uint8_t> mine) const;
  // Every rank's `values` on rank 0 (empty elsewhere); all ranks give the same count. Collective.
  std::vector<std::vector<double>> gather_to_root(const std::vector<double>& values) const;

  // Waits until every rank has called it. Collective.
  void barrier() const;

  // Ends every rank of the job with `code` (MPI_Abort): for errors after the ranks parted ways, when the
  // others may already wait in a collective that will never complete.
  [[noreturn]] void abort(int code) const;

 private:
  std::size_t rank_ = 0, size_ = 1;
};

}  // namespace hepex::distributed
