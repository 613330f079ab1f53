#pragma once
// `hepex infer` shared by the ranks of an MPI job (`mpirun -np K hepex infer ...`):
//
//   rank 0    reads and checks every file (model, plan, evaluation keys, input ciphertexts) exactly as a
//             single process would, then tells every rank whether that worked (a bad file: one error on
//             rank 0, every rank exits non-zero, none waits forever)
//   all       the file bytes are broadcast; each rank builds the same Server from them and evaluates its
//             share of every layer's output tile rows; the layer outputs are gathered (MpiDistribution)
//   rank 0    gets the output ciphertexts and the report; only it writes files (write_on_root)
//
// The output is bit for bit the single process's. An error after the ranks parted ways (during the
// evaluation) is printed by the rank that met it, which then ends the whole job (MPI_Abort).
#include <functional>
#include <optional>
#include <string>

#include "distributed/mpi_world.hpp"
#include "session/server.hpp"

namespace hepex::distributed {

struct InferFiles {
  std::string model, plan, eval_keys, input;
};

// Collective. On rank 0: the output bytes and the report, whose layers hold the operation counts and weight
// bytes summed over the ranks and whose process_runs hold each rank's layer runs; nullopt on the others.
// `on_root_loaded` runs on rank 0 once its Server holds the model and plan (to print the security verdict);
// options.progress is used on rank 0 only.
std::optional<Server::Result> evaluate_shared(const MpiWorld& world, const InferFiles& files, ServerOptions options,
                                              const std::function<void(const Server&)>& on_root_loaded = {});

}  // namespace hepex::distributed
