#include "nn/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <numbers>

#include "nn/idx.hpp"
#include "util/error.hpp"

namespace hepex::nn {
namespace fs = std::filesystem;

int Dataset::num_classes() const {
  return labels.empty() ? 0 : 1 + *std::max_element(labels.begin(), labels.end());
}

Dataset Dataset::slice(Eigen::Index first, Eigen::Index count) const {
  Dataset d;
  d.images = images.middleRows(first, count);
  if (clean.size()) d.clean = clean.middleRows(first, count);
  if (!labels.empty()) d.labels.assign(labels.begin() + first, labels.begin() + first + count);
  return d;
}

Dataset Dataset::gather(const std::vector<Eigen::Index>& rows) const {
  Dataset d;
  const auto n = Eigen::Index(rows.size());
  d.images.resize(n, features());
  if (clean.size()) d.clean.resize(n, clean.cols());
  if (!labels.empty()) d.labels.resize(rows.size());
  for (Eigen::Index i = 0; i < n; ++i) {
    d.images.row(i) = images.row(rows[std::size_t(i)]);
    if (clean.size()) d.clean.row(i) = clean.row(rows[std::size_t(i)]);
    if (!labels.empty()) d.labels[std::size_t(i)] = labels[std::size_t(rows[std::size_t(i)])];
  }
  return d;
}

namespace {
// The file as given, else with ".gz".
std::string find_file(const fs::path& dir, const std::string& base) {
  for (const auto& name : {base, base + ".gz"}) {
    const auto p = dir / name;
    if (fs::is_regular_file(p)) return p.string();
  }
  throw IoError((dir / base).string() + "[.gz]: not found");
}
}  // namespace

Dataset load_idx_dataset(const std::string& dir, Split split) {
  const std::string prefix = split == Split::kTrain ? "train" : "t10k";
  const auto images_path = find_file(dir, prefix + "-images-idx3-ubyte");
  const auto labels_path = find_file(dir, prefix + "-labels-idx1-ubyte");
  const auto images = read_idx_file(images_path, 3);
  const auto labels = read_idx_file(labels_path, 1);
  if (labels.dims[0] != images.dims[0])
    throw FormatError(labels_path + ": holds " + std::to_string(labels.dims[0]) + " labels but " + images_path +
                      " holds " + std::to_string(images.dims[0]) + " images");
  const Eigen::Index n = images.dims[0];
  const Eigen::Index d = Eigen::Index(images.dims[1]) * images.dims[2];
  Dataset data;
  data.images.resize(n, d);
  float* out = data.images.data();
  for (std::size_t i = 0; i < images.data.size(); ++i) out[i] = float(images.data[i]) / 255.f;
  data.labels = labels.data;
  return data;
}

std::string canonical_data_name(const std::string& text) {
  if (text == "fashion") return "fashion-mnist";
  if (text == "mnist" || text == "fashion-mnist" || text.empty()) return text;
  return fs::absolute(fs::path(text)).lexically_normal().string();
}

std::string resolve_data_dir(const std::string& text) {
  const std::string name = text == "fashion" ? "fashion-mnist" : text;
  const bool known = name == "mnist" || name == "fashion-mnist";
  std::vector<fs::path> candidates;
  const char* env = std::getenv("HEPEX_DATA_DIR");
  if (known) {
    if (env && *env) candidates.push_back(fs::path(env) / name);
    if (name == "mnist") {
      candidates.push_back(fs::path("data") / name);
      std::error_code ec;
      const auto exe = fs::read_symlink("/proc/self/exe", ec);
      if (!ec) candidates.push_back(exe.parent_path() / ".." / "data" / name);
    } else {
      candidates.push_back(fs::path("/usr/share/datasets/fashion-mnist"));  // Debian dataset-fashion-mnist
    }
  } else {
    candidates.push_back(fs::path(name));
  }
  std::string tried;
  for (const auto& c : candidates) {
    if (fs::is_directory(c)) return c.lexically_normal().string();
    tried += (tried.empty() ? "" : ", ") + c.string();
  }
  if (!known)
    throw IoError("data set '" + text + "': neither a known name (" + kDataSetNames + ") nor a directory of IDX files");
  throw IoError("data set '" + text + "': no directory found (tried " + tried +
                "; set HEPEX_DATA_DIR or run scripts/setup.sh)");
}

double GaussianSampler::next() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  const double u1 = 1.0 - rng_.next_double();  // (0, 1]: log is finite
  const double u2 = rng_.next_double();
  const double r = std::sqrt(-2.0 * std::log(u1));
  spare_ = r * std::sin(2.0 * std::numbers::pi * u2);
  has_spare_ = true;
  return r * std::cos(2.0 * std::numbers::pi * u2);
}

std::vector<Eigen::Index> random_permutation(Eigen::Index n, Csprng& rng) {
  std::vector<Eigen::Index> p(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) p[std::size_t(i)] = i;
  for (Eigen::Index i = n - 1; i > 0; --i)
    std::swap(p[std::size_t(i)], p[std::size_t(rng.uniform_below(std::uint64_t(i) + 1))]);
  return p;
}

TrainValSplit split_train_val(const Dataset& data, double val_fraction, std::uint64_t seed) {
  if (!(val_fraction >= 0.0 && val_fraction < 1.0))
    throw InvalidArgument("validation fraction " + std::to_string(val_fraction) + " is outside [0, 1)");
  const auto n_val = Eigen::Index(std::llround(val_fraction * double(data.size())));
  if (n_val == 0) return {data, Dataset{}};
  Csprng rng(seed_from_u64(seed ^ 0x5eed5917ull));
  const auto order = random_permutation(data.size(), rng);
  const std::vector<Eigen::Index> train_rows(order.begin(), order.end() - n_val);
  const std::vector<Eigen::Index> val_rows(order.end() - n_val, order.end());
  return {data.gather(train_rows), data.gather(val_rows)};
}

Dataset add_gaussian_noise(const Dataset& data, float sigma, int copies, std::uint64_t seed) {
  if (!(sigma >= 0.f) || copies < 1) throw InvalidArgument("noise: sigma must be >= 0 and copies >= 1");
  Csprng rng(seed_from_u64(seed ^ 0x9015e0ull));
  GaussianSampler gauss(rng);
  const Eigen::Index n = data.size();
  Dataset out;
  out.images.resize(n * copies, data.features());
  out.clean.resize(n * copies, data.features());
  for (int c = 0; c < copies; ++c) {
    out.clean.middleRows(c * n, n) = data.targets();
    auto block = out.images.middleRows(c * n, n);
    block = data.images;
    for (Eigen::Index i = 0; i < n; ++i)
      for (Eigen::Index j = 0; j < block.cols(); ++j)
        block(i, j) = std::clamp(block(i, j) + float(sigma * gauss.next()), 0.f, 1.f);
  }
  if (!data.labels.empty())
    for (int c = 0; c < copies; ++c) out.labels.insert(out.labels.end(), data.labels.begin(), data.labels.end());
  return out;
}

}  // namespace hepex::nn
