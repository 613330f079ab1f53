// Writes the seed corpus of every fuzz target: valid files made by the library itself (for the fuzz
// context, so parameter hashes match) plus a few truncations of each. Usage: fuzz_make_corpus <dir>
// (normally fuzz/corpus); one sub-directory per target, named like fuzz/targets/<name>.cpp.
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "ckks/encoder.hpp"
#include "ckks/encryptor.hpp"
#include "ckks/keygen.hpp"
#include "ckks/serialize.hpp"
#include "fuzz_support.hpp"
#include "infer/files.hpp"
#include "infer/keys.hpp"
#include "infer/plan.hpp"
#include "io/binary.hpp"
#include "nn/model.hpp"

namespace {

using namespace hepex;
namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

Bytes read_all(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

Bytes gzip(const Bytes& raw) {
  z_stream zs{};
  deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  Bytes out(deflateBound(&zs, uLong(raw.size())) + 32);
  zs.next_in = const_cast<Bytef*>(raw.data());
  zs.avail_in = uInt(raw.size());
  zs.next_out = out.data();
  zs.avail_out = uInt(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

Bytes idx(const std::vector<std::uint32_t>& dims) {
  Bytes b{0, 0, 8, std::uint8_t(dims.size())};
  std::size_t count = 1;
  for (auto d : dims) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(std::uint8_t(d >> s));
    count *= d;
  }
  for (std::size_t i = 0; i < count; ++i) b.push_back(std::uint8_t(i * 37));
  return b;
}

class Corpus {
 public:
  explicit Corpus(fs::path root) : root_(std::move(root)) {}
  // A valid file, and its truncations: cut after the 24-byte hepex header, in the middle, one byte short.
  void add(const std::string& target, const std::string& name, const Bytes& b, bool truncations = true) {
    put(target, name, b);
    if (!truncations) return;
    for (std::size_t cut : {std::size_t(24), b.size() / 2, b.size() - 1})
      if (cut > 0 && cut < b.size()) put(target, name + ".cut" + std::to_string(cut), Bytes(b.begin(), b.begin() + long(cut)));
  }
  void report() const {
    for (const auto& [t, n] : sizes_) std::printf("%-18s %3zu files %7zu bytes\n", t.c_str(), counts_.at(t), n);
  }

 private:
  void put(const std::string& target, const std::string& name, const Bytes& b) {
    fs::create_directories(root_ / target);
    std::ofstream(root_ / target / name, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), long(b.size()));
    sizes_[target] += b.size();
    counts_[target] += 1;
  }
  fs::path root_;
  std::map<std::string, std::size_t> sizes_, counts_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  Corpus c(argv[1]);
  const auto& ctx = fuzz::context();
  const fs::path tmp = fs::temp_directory_path() / ("hepex_make_corpus_" + std::to_string(::getpid()));
  fs::create_directories(tmp);

  // CKKS objects, fixed seeds: the corpus is the same on every run.
  ckks::KeyGenerator gen(ctx, seed_from_u64(1));
  const auto pk = gen.create_public_key();
  const auto rk = gen.create_relin_key();
  const std::vector<long long> steps{1, -2};
  const auto gk = gen.create_galois_keys(steps, /*conjugation=*/true);
  // Every object carries the key set's identity, as keygen writes them.
  const io::KeyId id = ckks::key_set_id(pk);
  ckks::SaveOptions seeded, expanded;
  seeded.key_id = expanded.key_id = id;
  expanded.use_seeds = false;
  c.add("parameters", "params", ckks::to_bytes(ctx->params()));
  c.add("secret_key", "secret", ckks::to_bytes(gen.secret_key(), id));
  c.add("public_key", "seeded", ckks::to_bytes(pk, seeded));
  c.add("public_key", "expanded", ckks::to_bytes(pk, expanded));
  c.add("relin_key", "seeded", ckks::to_bytes(rk, seeded));
  c.add("relin_key", "expanded", ckks::to_bytes(rk, expanded), false);
  c.add("galois_keys", "seeded", ckks::to_bytes(gk, seeded));

  const ckks::CkksEncoder encoder(ctx);
  const std::vector<double> values{0.5, -0.25, 1.0, 0.125};
  const auto pt = encoder.encode(values, ctx->params().default_scale(), ctx->params().max_level(), 4);
  c.add("plaintext", "top", ckks::to_bytes(pt));
  c.add("plaintext", "level0", ckks::to_bytes(encoder.encode(values, 1 << 20, 0)), false);
  ckks::Encryptor sym(ctx, gen.secret_key(), seed_from_u64(2)), pub(ctx, pk, seed_from_u64(3));
  const auto ct_sym = sym.encrypt(pt), ct_pub = pub.encrypt(pt);
  c.add("ciphertext", "symmetric_seeded", ckks::to_bytes(ct_sym, seeded));
  c.add("ciphertext", "public", ckks::to_bytes(ct_pub, seeded));
  const std::vector<ckks::Ciphertext> batch{ct_pub, ct_sym};
  c.add("ciphertext_batch", "two", ckks::to_bytes(std::span<const ckks::Ciphertext>(batch), seeded));

  backend::CkksKeys keys;
  keys.id = id;
  keys.relin = std::make_shared<const ckks::RelinKey>(rk);
  keys.galois = std::make_shared<const ckks::GaloisKeys>(gen.create_galois_keys(std::vector<long long>{1}, false));
  infer::save_eval_keys((tmp / "eval.keys").string(), keys);
  c.add("eval_keys", "eval", io::read_hepex_file((tmp / "eval.keys").string()));  // the body: no trailer

  // A model with a mask and permutations, and a plan for it.
  nn::Model m = nn::Model::from_arch("16-8-4:poly2");
  Csprng rng(seed_from_u64(4));
  m.init_glorot(rng);
  m.layers()[0].mask = nn::Matrix::Ones(8, 16);
  m.layers()[0].mask(1, 2) = 0;
  m.layers()[0].apply_mask();
  nn::Permutation in(16), out(4);
  for (std::uint32_t i = 0; i < 16; ++i) in[i] = (i * 5) % 16;
  for (std::uint32_t i = 0; i < 4; ++i) out[i] = 3 - i;
  m.set_input_perm(in);
  m.set_output_perm(out);
  c.add("model", "masked_permuted", m.serialize());
  c.add("model", "plain", nn::Model::from_arch("3-2:square").serialize(), false);
  infer::PlanOptions po;
  po.ring_degree = 1024;
  po.insecure = true;
  po.max_scale_bits = 36;
  const auto plan = infer::make_plan(m, 2, 4, 8, po).to_json().dump(1);
  c.add("plan", "plan.json", Bytes(plan.begin(), plan.end()));

  // Sample files.
  infer::save_npy((tmp / "a.npy").string(), infer::Samples{{0.0, 0.5, 1.0, -2.0, 3.5, 1e-3}, 2, 3});
  c.add("npy", "f8_2x3", read_all(tmp / "a.npy"));
  const std::string u1 = "{'descr': '|u1', 'fortran_order': False, 'shape': (4,), }\n";
  Bytes npy_u1{0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, std::uint8_t(u1.size()), 0};
  npy_u1.insert(npy_u1.end(), u1.begin(), u1.end());
  npy_u1.insert(npy_u1.end(), {0, 64, 128, 255});
  c.add("npy", "u1_1d", npy_u1, false);

  c.add("idx", "images", idx({2, 4, 4}));
  c.add("idx", "images.gz", gzip(idx({2, 4, 4})));
  c.add("idx", "labels", idx({5}), false);
  c.add("idx", "labels.gz", gzip(idx({5})), false);

  fs::remove_all(tmp);
  c.report();
  return 0;
}
