// Client and Server: the front door of src/session, with bytes as Python bytes and samples as NumPy arrays.
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "convert.hpp"
#include "session/model_file.hpp"
#include "session/server.hpp"

namespace hepex::python {

namespace {
SecurityPolicy policy(bool allow_insecure) {
  return allow_insecure ? SecurityPolicy::kAllowInsecureForTestsOnly : SecurityPolicy::kRequire128Bit;
}

std::optional<Seed> seed_of(const std::optional<std::uint64_t>& seed) {
  if (!seed) return std::nullopt;
  return seed_from_u64(*seed);
}

ServerOptions server_options(bool allow_insecure, const std::optional<std::string>& weights) {
  ServerOptions o;
  o.security = policy(allow_insecure);
  if (weights) o.weights = infer::parse_weight_mode(*weights);
  return o;
}

constexpr const char* kInsecureNote = "allow_insecure: accept plans below 128-bit security (tests only)";
}  // namespace

void bind_session(py::module_& m) {
  py::class_<Client>(m, "Client",
                     "The data owner's side: keys, encrypt, decrypt. Holds the secret key; give the server "
                     "plan_bytes() and eval_keys() only.")
      .def(py::init([](const infer::Plan& plan, bool allow_insecure) { return Client(plan, policy(allow_insecure)); }),
           py::arg("plan"), py::arg("allow_insecure") = false, kInsecureNote)
      .def_static("from_plan_file", [](const std::string& path, bool allow_insecure) {
            return Client::from_plan_file(path, policy(allow_insecure)); },
          py::arg("path"), py::arg("allow_insecure") = false)
      .def_static("from_plan_bytes", [](const py::object& plan, bool allow_insecure) {
            return Client::from_plan_bytes(to_bytes(plan, "Client.from_plan_bytes"), "plan", policy(allow_insecure)); },
          py::arg("plan"), py::arg("allow_insecure") = false)
      .def_static("load_keys", [](const std::string& dir, bool allow_insecure) {
            return Client::load_keys(dir, policy(allow_insecure)); },
          py::arg("dir"), py::arg("allow_insecure") = false,
          "A keys directory of save_keys() or `hepex keygen`")
      .def_static("from_key_bytes", [](const py::object& plan, const py::object& secret_key, const py::object& public_key,
                                      bool allow_insecure) {
            const Bytes sk = secret_key.is_none() ? Bytes{} : to_bytes(secret_key, "Client.from_key_bytes");
            const Bytes pk = public_key.is_none() ? Bytes{} : to_bytes(public_key, "Client.from_key_bytes");
            return Client::from_key_bytes(to_bytes(plan, "Client.from_key_bytes"), sk, pk, policy(allow_insecure)); },
          py::arg("plan"), py::arg("secret_key") = py::none(), py::arg("public_key") = py::none(),
          py::arg("allow_insecure") = false)
      .def("generate_keys", [](Client& c, std::optional<std::uint64_t> seed) {
            py::gil_scoped_release unlocked;
            c.generate_keys(seed_of(seed)); },
          py::arg("seed") = py::none(), "Fresh keys for the plan (seed: reproducible keys, tests only)")
      .def("save_keys", &Client::save_keys, py::arg("dir"), py::arg("force") = false,
           "plan.json, secret.key (0600), public.key, eval.keys as `hepex keygen` writes them")
      .def_property_readonly("has_secret_key", &Client::has_secret_key)
      .def_property_readonly("plan", &Client::plan)
      .def_property_readonly("security", &Client::security_verdict)
      .def("plan_bytes", [](const Client& c) { return to_py(c.plan_bytes()); })
      .def("eval_keys", [](const Client& c) { return to_py(c.eval_keys()); }, "eval.keys' bytes: the server's keys")
      .def("public_key", [](const Client& c) { return to_py(c.public_key()); })
      .def("secret_key", [](const Client& c) { return to_py(c.secret_key()); }, "Keep it: it decrypts everything")
      .def("encrypt", [](const Client& c, const DoubleArray& x) {
            const Samples s = to_samples(x, "Client.encrypt");
            Bytes out;
            {
              py::gil_scoped_release unlocked;
              out = c.encrypt(s);
            }
            return to_py(out); },
          py::arg("x"), "rows x features (original order) -> the ciphertext file's bytes")
      .def("encrypt_to_file", [](const Client& c, const DoubleArray& x, const std::string& path) {
            const Samples s = to_samples(x, "Client.encrypt_to_file");
            py::gil_scoped_release unlocked;
            c.encrypt_to_file(s, path); },
          py::arg("x"), py::arg("path"))
      .def("decrypt", [](const Client& c, const py::object& y, std::size_t rows) {
            const Bytes b = to_bytes(y, "Client.decrypt");
            Samples s;
            {
              py::gil_scoped_release unlocked;
              s = c.decrypt(b, rows);
            }
            return to_array(s); },
          py::arg("y"), py::arg("rows") = 0, "The server's output bytes -> rows x outputs (rows 0: the plan's batch)")
      .def("decrypt_file", [](const Client& c, const std::string& path, std::size_t rows) {
            Samples s;
            {
              py::gil_scoped_release unlocked;
              s = c.decrypt_file(path, rows);
            }
            return to_array(s); },
          py::arg("path"), py::arg("rows") = 0)
      .def("set_decryption_flooding", &Client::set_decryption_flooding, py::arg("bits"),
           "Noise of this many bits on every later decryption (before decrypted values leave the client)");

  py::class_<Server>(m, "Server",
                     "The model owner's side: model + plan + evaluation keys -> evaluate encrypted inputs. Never "
                     "takes a secret key (SecurityError).")
      .def(py::init([](const nn::Model& model, const infer::Plan& plan, bool allow_insecure,
                       const std::optional<std::string>& weights) {
             return Server(model, plan, server_options(allow_insecure, weights)); }),
           py::arg("model"), py::arg("plan"), py::arg("allow_insecure") = false, py::arg("weights") = py::none(),
           "weights: 'pre-encoded' or 'on-the-fly' (default: the plan's choice)")
      .def_static("from_files", [](const std::string& model_path, const std::string& plan_path, bool allow_insecure,
                                   const std::optional<std::string>& weights) {
            return Server::from_files(model_path, plan_path, server_options(allow_insecure, weights)); },
          py::arg("model_path"), py::arg("plan_path"), py::arg("allow_insecure") = false,
          py::arg("weights") = py::none(), "The model from .hpx or .onnx, the plan from plan.json")
      .def("set_eval_keys", [](Server& s, const py::object& keys) {
            const Bytes b = to_bytes(keys, "Server.set_eval_keys");
            py::gil_scoped_release unlocked;
            s.set_eval_keys(b); },
          py::arg("eval_keys"))
      .def("load_eval_keys", &Server::load_eval_keys, py::arg("path"))
      .def_property_readonly("plan", &Server::plan)
      .def_property_readonly("model", &Server::model)
      .def("evaluate", [](Server& s, const py::object& x) {
            const Bytes in = to_bytes(x, "Server.evaluate");
            Server::Result r;
            {
              py::gil_scoped_release unlocked;
              r = s.evaluate(in);
            }
            return py::make_tuple(to_py(r.output), to_py(r.report.to_json())); },
          py::arg("x"), "Input ciphertext bytes -> (output ciphertext bytes, report dict)")
      .def("evaluate_file", [](Server& s, const std::string& input, const std::string& output) {
            infer::Report r;
            {
              py::gil_scoped_release unlocked;
              r = s.evaluate_file(input, output);
            }
            return to_py(r.to_json()); },
          py::arg("input"), py::arg("output"), "Ciphertext file -> ciphertext file; returns the report dict");
}

}  // namespace hepex::python
