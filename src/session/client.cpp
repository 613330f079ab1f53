#include "session/client.hpp"

#include <cmath>

#include "ckks/serialize.hpp"
#include "infer/client.hpp"
#include "io/binary.hpp"
#include "io/safe_file.hpp"

namespace hepex {

Client::Client(infer::Plan plan, SecurityPolicy policy, const std::string& plan_name)
    : plan_(std::move(plan)), ctx_(infer::plan_context(plan_, policy, plan_name)) {}

Client::Client(infer::Plan plan, std::shared_ptr<const ckks::CkksContext> ctx, backend::CkksKeys keys)
    : plan_(std::move(plan)), ctx_(std::move(ctx)) {
  set_keys(std::move(keys));
}

Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

Client Client::from_plan_file(const std::string& path, SecurityPolicy policy) {
  return Client(infer::Plan::load(path), policy, path);
}

Client Client::from_plan_bytes(std::span<const std::uint8_t> plan, const std::string& name, SecurityPolicy policy) {
  return Client(infer::Plan::parse(plan, name), policy, name);
}

Client Client::load_keys(const std::string& dir, SecurityPolicy policy, bool need_secret) {
  auto c = infer::load_client_keys(dir, need_secret, policy);
  return Client(std::move(c.plan), std::move(c.ctx), std::move(c.keys));
}

Client Client::from_key_bytes(std::span<const std::uint8_t> plan_bytes, const Bytes& secret_key, const Bytes& public_key,
                              SecurityPolicy policy) {
  auto plan = infer::Plan::parse(plan_bytes, "plan");
  auto ctx = infer::plan_context(plan, policy, "plan");
  if (secret_key.empty() && public_key.empty()) throw InvalidArgument("client keys: neither a secret nor a public key given");
  Bytes secret_body, pub_body;
  infer::KeyBodies files;
  if (!secret_key.empty()) {
    secret_body = io::unseal(secret_key, files.secret_name);
    files.secret = &secret_body;
  }
  if (!public_key.empty()) {
    pub_body = io::unseal(public_key, files.pub_name);
    files.pub = &pub_body;
  }
  auto keys = infer::parse_client_keys(*ctx, plan, "plan", files, "the client's keys");
  plan.key_set = keys.id;
  return Client(std::move(plan), std::move(ctx), std::move(keys));
}

Client Client::from_plan_stream(std::istream& plan, const std::string& name, SecurityPolicy policy) {
  return Client(infer::Plan::read(plan, name), policy, name);
}

Client Client::from_key_streams(std::istream& plan, std::istream* secret_key, std::istream* public_key,
                                SecurityPolicy policy) {
  const Bytes plan_bytes = io::read_stream_bytes(plan, "plan", infer::PlanLimits::kMaxPlanFileBytes);
  const Bytes secret = secret_key ? io::read_sealed_stream(*secret_key, "secret key") : Bytes{};
  const Bytes pub = public_key ? io::read_sealed_stream(*public_key, "public key") : Bytes{};
  return from_key_bytes(plan_bytes, secret, pub, policy);
}

void Client::set_keys(backend::CkksKeys keys) {
  be_ = std::make_unique<backend::CkksBackend>(ctx_, keys);
  be_->set_decryption_flooding(flood_bits_);
  plan_.key_set = keys.id;
  keys_ = std::move(keys);
}

void Client::generate_keys(const std::optional<Seed>& seed) { set_keys(infer::generate_keys(ctx_, plan_, seed)); }

void Client::save_keys(const std::string& dir, bool force) const {
  if (!keys_.secret || !keys_.pub || !keys_.relin || !keys_.galois)
    throw InvalidArgument("save_keys " + dir + ": the client holds no generated key set (call generate_keys first)");
  infer::save_key_dir(dir, plan_, keys_, force);
}

bool Client::has_keys() const { return be_ != nullptr; }
bool Client::has_secret_key() const { return keys_.secret != nullptr; }
io::KeyId Client::key_set_id() const { return keys_.id; }
std::string Client::security_verdict() const { return infer::security_verdict(ctx_->params()); }

Bytes Client::plan_bytes() const {
  const std::string text = plan_.to_text();
  return Bytes(text.begin(), text.end());
}

Bytes Client::eval_keys() const {
  if (!keys_.relin || !keys_.galois)
    throw InvalidArgument("eval_keys: the client holds no evaluation keys (generate_keys() makes them; a keys "
                          "directory keeps them in its eval.keys file)");
  return infer::eval_keys_file_bytes(keys_);
}

Bytes Client::public_key() const {
  if (!keys_.pub) throw InvalidArgument("public_key: the client holds no public key");
  ckks::SaveOptions opts;
  opts.key_id = keys_.id;
  return io::seal(ckks::to_bytes(*keys_.pub, opts));
}

Bytes Client::secret_key() const {
  if (!keys_.secret) throw InvalidArgument("secret_key: the client holds no secret key");
  return io::seal(ckks::to_bytes(*keys_.secret, keys_.id));
}

const backend::CkksBackend& Client::backend(const char* who) const {
  if (!be_) throw InvalidArgument(std::string(who) + ": the client has no keys (generate_keys() or load_keys())");
  return *be_;
}

void Client::check_samples(const Samples& s) const {
  if (s.rows == 0 || s.rows > plan_.batch)
    throw InvalidArgument("encrypt: " + std::to_string(s.rows) + " samples; the plan takes 1 to " +
                          std::to_string(plan_.batch));
  if (s.cols != plan_.input_size)
    throw MismatchError("encrypt: samples have " + std::to_string(s.cols) + " features, the plan's input has " +
                        std::to_string(plan_.input_size));
  if (s.values.size() != s.rows * s.cols)
    throw InvalidArgument("encrypt: " + std::to_string(s.values.size()) + " values for " + std::to_string(s.rows) +
                          " x " + std::to_string(s.cols) + " samples");
  for (std::size_t i = 0; i < s.values.size(); ++i)
    if (!std::isfinite(s.values[i]))
      throw InvalidArgument("encrypt: the value at row " + std::to_string(i / s.cols) + ", column " +
                            std::to_string(i % s.cols) + " is not finite");
}

Bytes Client::encrypt(const Samples& samples) const {
  const auto& be = backend("encrypt");
  check_samples(samples);
  // Encrypted and written part by part: the inputs are never all expanded in memory.
  return infer::encrypted_input_file_bytes(be, plan_, samples.values, samples.rows);
}

void Client::encrypt_to_file(const Samples& samples, const std::string& path) const {
  const Bytes bytes = encrypt(samples);  // before the destination is touched: nothing half-written
  io::write_file_atomic(path, bytes);
}

void Client::encrypt(const Samples& samples, std::ostream& out) const {
  write_bytes(out, encrypt(samples), "encrypted inputs");
}

Samples Client::decrypted(const tile::CipherTileTensor& y, std::size_t rows) const {
  if (rows == 0) rows = plan_.batch;
  return Samples{infer::decrypt_output(*be_, plan_, y, rows), rows, plan_.output_size};
}

namespace {
void check_secret(const backend::CkksKeys& keys, bool has_backend, const char* who) {
  if (!has_backend || !keys.secret)
    throw InvalidArgument(std::string(who) + ": the client holds no secret key" +
                          (keys.source.empty() ? std::string() : " (" + keys.source + " has no secret.key)"));
}
}  // namespace

Samples Client::decrypt(const Bytes& output, std::size_t rows, const std::string& name) const {
  check_secret(keys_, be_ != nullptr, "decrypt");
  return decrypted(infer::parse_ciphertexts(io::unseal(output, name), name, *be_, infer::plan_output_shape(plan_)), rows);
}

Samples Client::decrypt_file(const std::string& path, std::size_t rows) const {
  check_secret(keys_, be_ != nullptr, "decrypt");
  return decrypted(infer::load_ciphertexts(path, *be_, infer::plan_output_shape(plan_)), rows);
}

Samples Client::decrypt(std::istream& output, std::size_t rows, const std::string& name) const {
  check_secret(keys_, be_ != nullptr, "decrypt");  // before the stream is read
  return decrypt(io::read_sealed_stream(output, name), rows, name);
}

void Client::set_decryption_flooding(int bits) {
  flood_bits_ = bits;
  if (be_) be_->set_decryption_flooding(bits);
}

}  // namespace hepex
