#pragma once
// Datasets: images as floats in [0, 1], one sample per row, with optional class labels and optional clean
// targets (denoising: `images` are noisy inputs, `clean` the targets).
#include <cstdint>
#include <string>
#include <vector>

#include "nn/tensor.hpp"
#include "util/csprng.hpp"

namespace hepex::nn {

struct Dataset {
  RowMatrix images;                  // N x d, inputs
  RowMatrix clean;                   // empty, or N x d reconstruction targets (denoising)
  std::vector<std::uint8_t> labels;  // empty, or N class labels

  Eigen::Index size() const { return images.rows(); }
  Eigen::Index features() const { return images.cols(); }
  // Reconstruction targets: `clean` if present, else the images themselves.
  const RowMatrix& targets() const { return clean.size() ? clean : images; }
  int num_classes() const;  // 1 + the largest label (0 without labels)
  // Rows [first, first + count), all members.
  Dataset slice(Eigen::Index first, Eigen::Index count) const;
  // Rows in the given order.
  Dataset gather(const std::vector<Eigen::Index>& rows) const;
};

enum class Split { kTrain, kTest };

// Reads <dir>/{train,t10k}-{images-idx3,labels-idx1}-ubyte, plain or with ".gz". Pixels are scaled to [0, 1].
// Throws IoError if the files are missing, FormatError (naming the file) if they are malformed or disagree.
Dataset load_idx_dataset(const std::string& dir, Split split);

// The data set names --data knows; anything else is a directory of IDX files.
inline constexpr const char* kDataSetNames = "mnist, fashion-mnist (alias fashion)";
// The name a data set is recorded under (in model files, result lines): "fashion" -> "fashion-mnist",
// "mnist" and "fashion-mnist" as they are, a directory as its absolute normal path.
std::string canonical_data_name(const std::string& text);

// Resolves --data: "mnist" -> $HEPEX_DATA_DIR/mnist, ./data/mnist, <executable dir>/../data/mnist (first that
// exists); "fashion-mnist" (or "fashion") -> $HEPEX_DATA_DIR/fashion-mnist, then the Debian package's
// directory; anything else is taken as a directory path. Throws IoError listing the places tried (and the
// known names, when the text is no directory).
std::string resolve_data_dir(const std::string& name);

// Seeded shuffle, then the last round(fraction * N) samples become the validation set.
struct TrainValSplit {
  Dataset train, val;
};
TrainValSplit split_train_val(const Dataset& data, double val_fraction, std::uint64_t seed);

// Denoising data: `copies` noisy versions of every image, images + N(0, sigma^2) clipped to [0, 1], with the
// clean images as targets (and the labels kept). Deterministic for a seed.
Dataset add_gaussian_noise(const Dataset& data, float sigma, int copies, std::uint64_t seed);

// Standard normal samples from the CSPRNG stream (Box-Muller).
class GaussianSampler {
 public:
  explicit GaussianSampler(Csprng& rng) : rng_(rng) {}
  double next();

 private:
  Csprng& rng_;
  double spare_ = 0;
  bool has_spare_ = false;
};

// Uniformly random order of 0..n-1 (Fisher-Yates).
std::vector<Eigen::Index> random_permutation(Eigen::Index n, Csprng& rng);

}  // namespace hepex::nn
