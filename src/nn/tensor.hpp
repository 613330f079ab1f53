#pragma once
// Matrix types of the nn module. Training math is float; the HE side converts to double itself.
//  - Matrix (column-major): weights W (out x in) and the trainer's activations (features x batch), so every
//    sample of a batch is one contiguous column and the big GEMMs run on contiguous panels.
//  - RowMatrix (row-major): datasets and the public forward(): one sample per row. A row-major N x d block
//    has the same memory as a column-major d x N one, so batches are viewed without copies.
#include <Eigen/Core>

namespace hepex::nn {

using Matrix = Eigen::MatrixXf;
using Vector = Eigen::VectorXf;
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The nn module parallelises over samples (fixed shards/chunks, OpenMP) and keeps every Eigen product
// serial: Eigen's own threading would nest, slow down badly on a loaded machine, and could make results
// depend on the thread count. Called at the entry of the parallel code paths (sets Eigen's thread count
// only; OpenMP's is untouched).
void keep_eigen_serial();

}  // namespace hepex::nn
