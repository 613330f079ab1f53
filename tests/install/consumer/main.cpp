// Uses the installed umbrella header only: a client and a server in one process, checked against the
// plaintext model. Exit code 0 when the encrypted outputs match within CKKS precision.
#include <hepex/hepex.hpp>

#include <cmath>
#include <cstdio>

int main() {
  auto model = hepex::nn::Model::from_arch("16-8-16:square");
  hepex::Csprng rng(hepex::seed_from_u64(1));
  model.init_glorot(rng);
  const auto plan = hepex::infer::make_plan(model, 4, 4, 8);
  hepex::Client client(plan);
  client.generate_keys();
  hepex::Server server(model, hepex::infer::Plan::parse(client.plan_bytes(), "plan"));
  server.set_eval_keys(client.eval_keys());

  hepex::Samples x{std::vector<double>(3 * 16), 3, 16};
  hepex::nn::RowMatrix xm(3, 16);
  for (std::size_t i = 0; i < x.values.size(); ++i) xm.data()[i] = float(x.values[i] = 0.05 * double(i % 17));
  const auto y = client.decrypt(server.evaluate(client.encrypt(x)).output, 3);
  const hepex::nn::RowMatrix want = model.forward(xm);
  double worst = 0;
  for (std::size_t i = 0; i < y.values.size(); ++i) worst = std::fmax(worst, std::fabs(y.values[i] - want.data()[i]));
  std::printf("installed hepex: %zu x %zu outputs, max |encrypted - plaintext| = %.2e\n", y.rows, y.cols, worst);
  return worst < 1e-4 ? 0 : 1;
}
