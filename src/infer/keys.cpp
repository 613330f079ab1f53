#include "infer/keys.hpp"

#include <cmath>
#include <filesystem>

#include "ckks/keygen.hpp"
#include "ckks/serialize.hpp"
#include "io/binary.hpp"

namespace hepex::infer {

namespace fs = std::filesystem;

ckks::CkksParameters plan_parameters(const Plan& plan) {
  const auto& c = plan.ckks;
  return ckks::CkksParameters::from_bit_sizes(
      c.ring_degree, c.data_bits, c.special_bits, c.dnum,
      c.secure ? ckks::SecurityLevel::kClassical128 : ckks::SecurityLevel::kInsecureForTestsOnly,
      std::ldexp(1.0, c.scale_bits));
}

std::shared_ptr<const ckks::CkksContext> plan_context(const Plan& plan) {
  return ckks::CkksContext::create(plan_parameters(plan));
}

backend::CkksKeys generate_keys(const std::shared_ptr<const ckks::CkksContext>& ctx, const Plan& plan,
                                const std::optional<Seed>& seed) {
  ckks::KeyGenerator gen = seed ? ckks::KeyGenerator(ctx, *seed) : ckks::KeyGenerator(ctx);
  backend::CkksKeys k;
  k.secret = std::make_shared<const ckks::SecretKey>(gen.secret_key());
  k.pub = std::make_shared<const ckks::PublicKey>(gen.create_public_key());
  k.relin = std::make_shared<const ckks::RelinKey>(gen.create_relin_key());
  const std::vector<long long> steps(plan.rotation_steps.begin(), plan.rotation_steps.end());
  k.galois = std::make_shared<const ckks::GaloisKeys>(gen.create_galois_keys(steps, /*conjugation=*/false));
  return k;
}

backend::CkksKeys server_keys(const backend::CkksKeys& keys) {
  backend::CkksKeys s = keys;
  s.secret.reset();
  return s;
}

void save_eval_keys(const std::string& path, const backend::CkksKeys& keys) {
  if (!keys.relin || !keys.galois) throw InvalidArgument("save_eval_keys " + path + ": relinearization or Galois keys missing");
  io::BinaryWriter w;
  w.write_header({io::kFormatVersion, io::ObjectType::kEvalKeys, keys.relin->key.param_hash()});
  w.write_vector(ckks::to_bytes(*keys.relin));
  w.write_vector(ckks::to_bytes(*keys.galois));
  w.save(path);
}

backend::CkksKeys load_eval_keys(const ckks::CkksContext& ctx, const std::string& path) {
  auto r = io::BinaryReader::from_file(path);
  const auto h = r.read_header(io::ObjectType::kEvalKeys);
  if (h.param_hash != ctx.param_hash())
    throw FormatError(path + ": evaluation keys made for other CKKS parameters (not this plan's)");
  const std::uint64_t limit = std::uint64_t{1} << 40;
  auto relin = r.read_vector<std::uint8_t>(limit);
  auto galois = r.read_vector<std::uint8_t>(limit);
  r.expect_end();
  backend::CkksKeys k;
  k.relin = std::make_shared<const ckks::RelinKey>(ckks::parse_relin_key(ctx, std::move(relin), path + " (relinearization key)"));
  k.galois = std::make_shared<const ckks::GaloisKeys>(ckks::parse_galois_keys(ctx, std::move(galois), path + " (Galois keys)"));
  return k;
}

void save_key_dir(const std::string& dir, const Plan& plan, const backend::CkksKeys& keys) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IoError("cannot create the keys directory " + dir + ": " + ec.message());
  const fs::path d(dir);
  plan.save((d / "plan.json").string());
  ckks::save((d / "secret.key").string(), *keys.secret);
  ckks::save((d / "public.key").string(), *keys.pub);
  save_eval_keys((d / "eval.keys").string(), keys);
}

ClientKeys load_client_keys(const std::string& dir, bool need_secret) {
  const fs::path d(dir);
  ClientKeys c{Plan::load((d / "plan.json").string()), nullptr, {}};
  c.ctx = plan_context(c.plan);
  const auto secret = d / "secret.key", pub = d / "public.key";
  if (fs::exists(secret)) c.keys.secret = std::make_shared<const ckks::SecretKey>(ckks::load_secret_key(*c.ctx, secret.string()));
  else if (need_secret) throw IoError("keys directory " + dir + ": secret.key is missing (decryption needs it)");
  if (fs::exists(pub)) c.keys.pub = std::make_shared<const ckks::PublicKey>(ckks::load_public_key(*c.ctx, pub.string()));
  if (!c.keys.secret && !c.keys.pub) throw IoError("keys directory " + dir + ": neither secret.key nor public.key");
  return c;
}

std::size_t file_bytes(const std::string& path) {
  std::error_code ec;
  const auto n = fs::file_size(path, ec);
  return ec ? 0 : static_cast<std::size_t>(n);
}

}  // namespace hepex::infer
