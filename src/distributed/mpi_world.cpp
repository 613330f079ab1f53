#include "distributed/mpi_world.hpp"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <exception>

namespace hepex::distributed {

namespace {
// Largest chunk one MPI call moves: counts are ints.
constexpr std::size_t kChunkBytes = std::size_t{1} << 30;

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw IoError(std::string("MPI: ") + what + " failed (error " + std::to_string(rc) + ")");
}

void broadcast_raw(void* data, std::size_t n, int root) {
  auto* p = static_cast<char*>(data);
  for (std::size_t done = 0; done < n; done += kChunkBytes)
    check(MPI_Bcast(p + done, static_cast<int>(std::min(kChunkBytes, n - done)), MPI_BYTE, root, MPI_COMM_WORLD),
          "MPI_Bcast");
}
}  // namespace

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (std::getenv(v)) return true;
  return false;
}

MpiWorld::MpiWorld() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) throw InvalidArgument("MpiWorld: MPI is already initialized (one MpiWorld per process)");
  check(MPI_Init(nullptr, nullptr), "MPI_Init");
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  rank_ = static_cast<std::size_t>(rank);
  size_ = static_cast<std::size_t>(size);
}

MpiWorld::~MpiWorld() { MPI_Finalize(); }

void MpiWorld::on_root(const std::function<void()>& work) const {
  std::exception_ptr error;
  std::string message;
  if (is_root()) {
    try {
      work();
    } catch (const std::exception& e) {
      error = std::current_exception();
      message = e.what();
    }
  }
  std::uint8_t failed = error ? 1 : 0;
  broadcast_raw(&failed, 1, 0);
  if (is_root()) {
    if (error) std::rethrow_exception(error);
    return;
  }
  if (failed) throw PeerError("rank 0 failed");
}

void MpiWorld::broadcast(std::vector<std::uint8_t>& bytes, std::size_t root) const {
  std::uint64_t n = bytes.size();
  broadcast_raw(&n, sizeof n, static_cast<int>(root));
  bytes.resize(n);
  broadcast_raw(bytes.data(), n, static_cast<int>(root));
}

// One broadcast per rank: simple, and free of the int limit on MPI_Allgatherv's total count and
// displacements (a layer's output easily exceeds 2 GiB at large batches).
std::vector<std::vector<std::uint8_t>> MpiWorld::allgather(std::vector<std::uint8_t> mine) const {
  std::vector<std::vector<std::uint8_t>> all(size_);
  all[rank_] = std::move(mine);
  for (std::size_t r = 0; r < size_; ++r) broadcast(all[r], r);
  return all;
}

std::vector<std::vector<double>> MpiWorld::gather_to_root(const std::vector<double>& values) const {
  std::vector<double> flat(is_root() ? values.size() * size_ : 0);
  check(MPI_Gather(values.data(), static_cast<int>(values.size()), MPI_DOUBLE, flat.data(),
                   static_cast<int>(values.size()), MPI_DOUBLE, 0, MPI_COMM_WORLD),
        "MPI_Gather");
  std::vector<std::vector<double>> out;
  for (std::size_t r = 0; is_root() && r < size_; ++r)
    out.emplace_back(flat.begin() + std::ptrdiff_t(r * values.size()), flat.begin() + std::ptrdiff_t((r + 1) * values.size()));
  return out;
}

void MpiWorld::barrier() const { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

void MpiWorld::abort(int code) const {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; this keeps [[noreturn]] honest if it did
}

}  // namespace hepex::distributed
