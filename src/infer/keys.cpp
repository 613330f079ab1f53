#include "infer/keys.hpp"

#include <cmath>
#include <filesystem>

#include "ckks/galois.hpp"
#include "ckks/keygen.hpp"
#include "ckks/security.hpp"
#include "ckks/serialize.hpp"
#include "infer/schedule.hpp"
#include "io/binary.hpp"
#include "io/safe_file.hpp"

namespace hepex::infer {

namespace fs = std::filesystem;

ckks::CkksParameters plan_parameters(const Plan& plan, SecurityPolicy policy, const std::string& plan_name) {
  const auto& c = plan.ckks;
  const bool allow = policy == SecurityPolicy::kAllowInsecureForTestsOnly;
  // The flag in the plan may switch the check off only when the caller allows it too.
  if (!c.secure && !allow)
    throw SecurityError(plan_name + ": the plan asks for parameters below 128-bit security (\"secure\": false, N = " +
                        std::to_string(c.ring_degree) + ", log QP = " + std::to_string(c.total_bits()) +
                        "); refused (--allow-insecure accepts them, for tests only)");
  const auto level = allow ? ckks::SecurityLevel::kInsecureForTestsOnly : ckks::SecurityLevel::kClassical128;
  try {
    return ckks::CkksParameters::from_bit_sizes(c.ring_degree, c.data_bits, c.special_bits, c.dnum, level,
                                                std::ldexp(1.0, c.scale_bits));
  } catch (const SecurityError& e) {
    throw SecurityError(plan_name + ": " + e.what());
  } catch (const InvalidArgument& e) {
    throw FormatError(plan_name + ": invalid CKKS parameters: " + e.what());
  }
}

std::shared_ptr<const ckks::CkksContext> plan_context(const Plan& plan, SecurityPolicy policy,
                                                      const std::string& plan_name) {
  return ckks::CkksContext::create(plan_parameters(plan, policy, plan_name));
}

std::string security_verdict(const ckks::CkksParameters& p) {
  const int bits = p.total_bits(), bound = ckks::max_log_qp_128(p.n());
  const bool secure = bound > 0 && bits <= bound;
  std::string s = secure ? "128-bit (HE Standard)" : "INSECURE (below 128-bit; test parameters)";
  s += ": N = " + std::to_string(p.n()) + ", log QP = " + std::to_string(bits);
  s += bound > 0 ? (secure ? " <= " : " > ") + std::to_string(bound) : std::string(" (no bound for this N)");
  return s;
}

backend::CkksKeys generate_keys(const std::shared_ptr<const ckks::CkksContext>& ctx, const Plan& plan,
                                const std::optional<Seed>& seed) {
  ckks::KeyGenerator gen = seed ? ckks::KeyGenerator(ctx, *seed) : ckks::KeyGenerator(ctx);
  backend::CkksKeys k;
  k.secret = std::make_shared<const ckks::SecretKey>(gen.secret_key());
  k.pub = std::make_shared<const ckks::PublicKey>(gen.create_public_key());
  // Each key trimmed to the highest level the plan uses it at (full keys for plans without levels): the
  // keys for the last layers' rotations are a fraction of a full key, in memory and in eval.keys.
  ckks::RelinKey relin = gen.create_relin_key();
  if (plan.relin_key_level >= 0) relin.key = relin.key.trimmed(*ctx, static_cast<std::size_t>(plan.relin_key_level));
  k.relin = std::make_shared<const ckks::RelinKey>(std::move(relin));
  ckks::GaloisKeys galois(ctx->param_hash());
  for (std::size_t i = 0; i < plan.rotation_steps.size(); ++i) {
    const std::uint64_t g = ckks::galois_element_for_step(ctx->n(), plan.rotation_steps[i]);
    ckks::GaloisKeys one(ctx->param_hash());
    gen.add_galois_key(one, g);
    const auto& key = one.at(g);
    galois.insert(g, plan.rotation_key_levels.empty()
                         ? key
                         : key.trimmed(*ctx, static_cast<std::size_t>(plan.rotation_key_levels[i])));
  }
  k.galois = std::make_shared<const ckks::GaloisKeys>(std::move(galois));
  k.id = ckks::key_set_id(*k.pub);
  k.source = "the generated keys";
  return k;
}

void check_eval_keys_cover(const Plan& plan, const ckks::CkksContext& ctx, const backend::CkksKeys& keys,
                           const std::string& name) {
  auto kept_to = [&](std::size_t key_top, int level, const std::string& what) {
    const int top = level < 0 ? static_cast<int>(ctx.max_level()) : level;
    if (static_cast<int>(key_top) < top)
      throw MismatchError(name + ": the " + what + " is kept up to level " + std::to_string(key_top) +
                          ", the plan uses it at level " + std::to_string(top) + " (keys made for another plan)");
  };
  if (!keys.relin) throw MismatchError(name + ": no relinearization key");
  if (plan.relin_key_level >= 0 || plan.rotation_key_levels.empty())
    kept_to(keys.relin->key.top_level(), plan.relin_key_level, "relinearization key");
  for (std::size_t i = 0; i < plan.rotation_steps.size(); ++i) {
    const int step = plan.rotation_steps[i];
    const std::uint64_t g = ckks::galois_element_for_step(ctx.n(), step);
    if (!keys.galois || !keys.galois->contains(g))
      throw MismatchError(name + ": no key for rotation step " + std::to_string(step) +
                          ", which the plan uses (keys made for another plan)");
    kept_to(keys.galois->top_level(g), plan.rotation_key_levels.empty() ? -1 : plan.rotation_key_levels[i],
            "key for rotation step " + std::to_string(step));
  }
}

std::vector<std::vector<ckks::GaloisKeys::Use>> layer_galois_keys(const Plan& plan, const CompiledNetwork& net,
                                                                   const ckks::CkksContext& ctx,
                                                                   const std::vector<bool>& copies_on_read) {
  std::vector<int> level_in;
  for (const auto& lp : plan.layers) level_in.push_back(lp.level_in);
  std::vector<std::vector<ckks::GaloisKeys::Use>> uses;
  for (const KeyLevels& layer : layer_key_uses(net, level_in, plan.ckks.slots(), copies_on_read)) {
    uses.emplace_back();
    for (const auto& [step, level] : layer.rotations)
      uses.back().push_back({ckks::galois_element_for_step(ctx.n(), step), static_cast<std::size_t>(level)});
  }
  return uses;
}

backend::CkksKeys server_keys(const backend::CkksKeys& keys) {
  backend::CkksKeys s = keys;
  s.secret.reset();
  return s;
}

namespace {
io::BinaryWriter eval_keys_writer(const backend::CkksKeys& keys, const std::string& name) {
  if (!keys.relin || !keys.galois) throw InvalidArgument(name + ": relinearization or Galois keys missing");
  ckks::SaveOptions opts;
  opts.key_id = keys.id;
  const auto relin = ckks::to_bytes(*keys.relin, opts);
  auto galois = ckks::to_bytes(*keys.galois, opts);
  io::BinaryWriter w;
  // The file's final size at once (and room for the trailer io::seal appends): the keys' bytes are copied
  // once, never regrown.
  w.reserve(io::kHeaderPrefixBytes + sizeof(io::KeyId) + 2 * sizeof(std::uint64_t) + relin.size() + galois.size() +
            io::kDigestBytes);
  w.write_header({io::kFormatVersion, io::ObjectType::kEvalKeys, keys.relin->key.param_hash(), keys.id});
  w.write_vector(relin);
  w.write_vector(galois);
  return w;
}
}  // namespace

void save_eval_keys(const std::string& path, const backend::CkksKeys& keys) {
  eval_keys_writer(keys, "save_eval_keys " + path).save(path);
}

std::vector<std::uint8_t> eval_keys_file_bytes(const backend::CkksKeys& keys) {
  return io::seal(eval_keys_writer(keys, "eval_keys_file_bytes").take_bytes());
}

backend::CkksKeys load_eval_keys(const ckks::CkksContext& ctx, const std::string& path) {
  return parse_eval_keys(ctx, io::read_hepex_file(path), path);
}

namespace {
// An eval.keys body: the header, then the relinearization key and the Galois keys as length-prefixed
// parts. The Galois keys decoded at once, or (on_demand) indexed and decoded as a server asks for them.
backend::CkksKeys read_eval_keys(const ckks::CkksContext& ctx, io::BinaryReader r, ckks::KeyForm form, bool on_demand) {
  const std::string path = r.name();
  const io::Header h = r.read_header(io::ObjectType::kEvalKeys);
  if (h.param_hash != ctx.param_hash())
    throw FormatError(path + ": evaluation keys made for other CKKS parameters (not this plan's)");
  if (!io::is_set(h.key_id)) throw FormatError(path + ": evaluation keys without a key set id");
  const std::uint64_t limit = std::uint64_t{1} << 40;
  io::BinaryReader relin = r.read_part(limit, path + " (relinearization key)");
  io::BinaryReader galois = r.read_part(limit, path + " (Galois keys)");
  r.expect_end();
  r = io::BinaryReader({}, path);  // in memory, the file's bytes go now that both parts are out

  backend::CkksKeys k;
  io::Header relin_header, galois_header;
  k.relin = std::make_shared<const ckks::RelinKey>(
      ckks::read_relin_key(ctx, std::move(relin), &relin_header, form));
  if (on_demand) {
    auto reader = std::make_shared<const ckks::GaloisKeyReader>(ctx, std::move(galois), &galois_header);
    k.galois = std::make_shared<const ckks::GaloisKeys>(
        ctx.param_hash(), reader->tops(),
        [reader, form](std::uint64_t g, std::size_t top) { return reader->load(g, form, top); });
  } else {
    k.galois = std::make_shared<const ckks::GaloisKeys>(ckks::read_galois_keys(ctx, std::move(galois), &galois_header, form));
  }
  if (relin_header.key_id != h.key_id || galois_header.key_id != h.key_id)
    throw FormatError(path + ": its relinearization and Galois keys belong to different key sets");
  k.id = h.key_id;
  k.source = path;
  return k;
}
}  // namespace

backend::CkksKeys parse_eval_keys(const ckks::CkksContext& ctx, std::vector<std::uint8_t> bytes, const std::string& path,
                                  ckks::KeyForm form) {
  return read_eval_keys(ctx, io::BinaryReader(std::move(bytes), path), form, false);
}

backend::CkksKeys open_eval_keys(const ckks::CkksContext& ctx, const std::string& path) {
  return read_eval_keys(ctx, io::open_hepex_file(path), ckks::KeyForm::kPackedForSwitching, true);
}

namespace {
const char* const kSecretFile = "secret.key";
const char* const kPublicFile = "public.key";
const char* const kEvalFile = "eval.keys";
const char* const kPlanFile = "plan.json";
}  // namespace

void check_key_dir_writable(const std::string& dir, bool force) {
  const fs::path d(dir);
  std::error_code ec;
  if (fs::exists(d, ec) && !fs::is_directory(d, ec)) throw IoError(dir + ": exists and is not a directory");
  io::check_not_exists((d / kSecretFile).string(), force, "a secret key (ciphertexts encrypted under it need it)");
  if (fs::is_directory(d, ec))
    for (const char* f : {kSecretFile, kPublicFile, kEvalFile, kPlanFile}) io::check_destination((d / f).string());
}

void save_key_dir(const std::string& dir, const Plan& plan, const backend::CkksKeys& keys, bool force) {
  if (!keys.secret || !keys.pub) throw InvalidArgument("save_key_dir " + dir + ": the secret or public key is missing");
  check_key_dir_writable(dir, force);
  io::create_directory(dir, 0700);
  const fs::path d(dir);
  Plan with_keys = plan;
  with_keys.key_set = keys.id;
  ckks::SaveOptions opts;
  opts.key_id = keys.id;
  // The secret key last: a failure before it leaves no new secret behind that nothing else matches.
  with_keys.save((d / kPlanFile).string());
  ckks::save((d / kPublicFile).string(), *keys.pub, opts);
  save_eval_keys((d / kEvalFile).string(), keys);
  ckks::save((d / kSecretFile).string(), *keys.secret, keys.id);
}

ClientKeys load_client_keys(const std::string& dir, bool need_secret, SecurityPolicy policy) {
  const fs::path d(dir);
  const std::string plan_path = (d / kPlanFile).string();
  ClientKeys c{Plan::load(plan_path), nullptr, {}};
  c.ctx = plan_context(c.plan, policy, plan_path);
  const auto secret = d / kSecretFile, pub = d / kPublicFile;
  std::vector<std::uint8_t> secret_body, pub_body;
  KeyBodies files{nullptr, nullptr, secret.string(), pub.string()};
  if (fs::exists(secret)) {
    secret_body = io::read_hepex_file(secret.string());
    files.secret = &secret_body;
  } else if (need_secret) {
    throw IoError("keys directory " + dir + ": secret.key is missing (decryption needs it)");
  }
  if (fs::exists(pub)) {
    pub_body = io::read_hepex_file(pub.string());
    files.pub = &pub_body;
  }
  if (!files.secret && !files.pub) throw IoError("keys directory " + dir + ": neither secret.key nor public.key");
  c.keys = parse_client_keys(*c.ctx, c.plan, plan_path, files, dir);
  return c;
}

backend::CkksKeys parse_client_keys(const ckks::CkksContext& ctx, const Plan& plan, const std::string& plan_name,
                                    const KeyBodies& files, const std::string& where) {
  backend::CkksKeys keys;
  io::Header secret_header, pub_header;
  if (files.secret)
    keys.secret = std::make_shared<const ckks::SecretKey>(
        ckks::parse_secret_key(ctx, *files.secret, files.secret_name, &secret_header));
  if (files.pub)
    keys.pub = std::make_shared<const ckks::PublicKey>(ckks::parse_public_key(ctx, *files.pub, files.pub_name, &pub_header));
  if (!keys.secret && !keys.pub) throw InvalidArgument(where + ": neither a secret nor a public key");
  // One key set: the public key's own digest, the ids in both headers and the plan's must agree.
  const io::KeyId id = keys.pub ? ckks::key_set_id(*keys.pub) : secret_header.key_id;
  if (keys.pub && pub_header.key_id != id)
    throw FormatError(files.pub_name + ": its header names key set " + io::key_id_text(pub_header.key_id) +
                      ", the key itself is key set " + io::key_id_text(id));
  if (keys.secret && secret_header.key_id != id)
    throw MismatchError(files.secret_name + " (key set " + io::key_id_text(secret_header.key_id) + ") and " +
                        files.pub_name + " (key set " + io::key_id_text(id) + ") are not one key set");
  if (!io::is_set(id)) throw FormatError("keys " + where + ": the keys carry no key set id");
  if (io::is_set(plan.key_set) && plan.key_set != id)
    throw MismatchError(plan_name + " names key set " + io::key_id_text(plan.key_set) + ", the keys in " + where +
                        " are key set " + io::key_id_text(id));
  keys.id = id;
  keys.source = where;
  return keys;
}

std::size_t file_bytes(const std::string& path) {
  std::error_code ec;
  const auto n = fs::file_size(path, ec);
  return ec ? 0 : static_cast<std::size_t>(n);
}

}  // namespace hepex::infer
