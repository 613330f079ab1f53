// ONNX import against PyTorch: every model make_models.py exports imports to an nn::Model whose plaintext
// forward pass equals PyTorch's output to 1e-5, at a batch size other than the export's; the models hepex
// must refuse fail with an error naming the node and the problem.
#include "onnx/import.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "onnx_test_util.hpp"
#include "util/error.hpp"

namespace hepex::onnx {
namespace {
using test::reference_dir;

TEST(OnnxImport, MatchesPyTorchForEveryReferenceModel) {
  const std::string dir = reference_dir();
  ASSERT_FALSE(HasFatalFailure());
  const auto m = test::manifest(dir);
  ASSERT_GE(m["models"].size(), 20u);
  for (const auto& entry : m["models"]) {
    const std::string name = entry["name"];
    SCOPED_TRACE(name);
    const nn::Model model = import_onnx_file(dir + "/" + name + ".onnx");
    EXPECT_EQ(model.input_size(), entry["input"].get<int>());
    EXPECT_EQ(model.output_size(), entry["output"].get<int>());
    EXPECT_EQ(model.layers().size(), entry["layers"].get<std::size_t>());
    EXPECT_TRUE(model.he_friendly());
    const auto x = test::read_f32(dir + "/" + name + ".in.f32", model.input_size());
    const auto y_torch = test::read_f32(dir + "/" + name + ".out.f32", model.output_size());
    ASSERT_EQ(x.rows(), m["batch"].get<int>());
    const auto y = model.forward(x);
    EXPECT_LE(test::max_error(y, y_torch), 1e-5);
  }
}

TEST(OnnxImport, MapsPolynomialsToTheNnActivations) {
  const std::string dir = reference_dir();
  ASSERT_FALSE(HasFatalFailure());
  using K = nn::ActivationKind;
  for (const char* name : {"square_mul", "square_pow", "torch_square", "matmul_add"}) {
    const auto model = import_onnx_file(dir + "/" + name + ".onnx");
    EXPECT_EQ(model.layers()[0].act.kind, K::kSquare) << name;
    EXPECT_EQ(model.layers()[1].act.kind, K::kIdentity) << name;
  }
  // 0.5 x^2 + 0.25 x + 0.1, as products and sums in two orders, and (x + 1)(x - 2)/4.
  for (const char* name : {"poly_abc", "poly_horner"}) {
    const auto act = import_onnx_file(dir + "/" + name + ".onnx").layers()[0].act;
    EXPECT_EQ(act.kind, K::kPoly2) << name;
    EXPECT_FLOAT_EQ(act.poly[0], 0.5f) << name;
    EXPECT_FLOAT_EQ(act.poly[1], 0.25f) << name;
    EXPECT_FLOAT_EQ(act.poly[2], 0.1f) << name;
    EXPECT_FALSE(act.trainable) << name;
  }
  const auto factored = import_onnx_file(dir + "/poly_factored.onnx").layers()[0].act;
  EXPECT_FLOAT_EQ(factored.poly[0], 0.25f);
  EXPECT_FLOAT_EQ(factored.poly[1], -0.25f);
  EXPECT_FLOAT_EQ(factored.poly[2], -0.5f);
  // A per-feature scale after the square is folded: the last layer of feature_scale_out is the identity.
  const auto scaled = import_onnx_file(dir + "/feature_scale_out.onnx");
  EXPECT_EQ(scaled.layers()[0].act.kind, K::kSquare);
  EXPECT_EQ(scaled.layers()[1].act.kind, K::kIdentity);
}

TEST(OnnxImport, RefusesWhatItCannotRepresentNamingTheNode) {
  const std::string dir = reference_dir();
  ASSERT_FALSE(HasFatalFailure());
  const auto refused = test::manifest(dir)["refused"];
  ASSERT_GE(refused.size(), 10u);
  for (const auto& [name, expect] : refused.items()) {
    const std::string path = dir + "/" + name + ".onnx";
    try {
      import_onnx_file(path);
      ADD_FAILURE() << name << " was imported";
    } catch (const FormatError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(expect.get<std::string>()), std::string::npos) << name << ": " << what;
      EXPECT_EQ(what.rfind(path, 0), 0u) << "the message names the file: " << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << "one line: " << what;
    }
  }
}

TEST(OnnxImport, UnsupportedOperatorMessageListsWhatIsSupported) {
  const std::string dir = reference_dir();
  ASSERT_FALSE(HasFatalFailure());
  try {
    import_onnx_file(dir + "/refuse_relu.onnx");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("hepex imports Gemm, MatMul"), std::string::npos) << e.what();
  }
}

TEST(OnnxImport, RefusesTruncatedAndForeignFiles) {
  const std::string dir = reference_dir();
  ASSERT_FALSE(HasFatalFailure());
  const std::string good = test::read_text(dir + "/poly_abc.onnx");
  ASSERT_GT(good.size(), 100u);
  const auto bytes = [](const std::string& s) {
    return std::vector<std::uint8_t>(s.begin(), s.end());
  };
  // Every cut of the file either fails to parse or fails validation; none imports a partial model.
  int refused = 0;
  for (std::size_t cut = 0; cut < good.size(); cut += 97) {
    try {
      import_onnx_bytes(bytes(good.substr(0, cut)), "cut.onnx");
    } catch (const FormatError& e) {
      ++refused;
      EXPECT_EQ(std::string(e.what()).rfind("cut.onnx: ", 0), 0u) << e.what();
    }
  }
  EXPECT_EQ(refused, int((good.size() + 96) / 97));
  EXPECT_THROW(import_onnx_bytes(bytes("HEPEX\x1a\r\n not an onnx file at all"), "x.onnx"), FormatError);
  EXPECT_THROW(import_onnx_bytes(bytes(std::string(64, '\xff')), "x.onnx"), FormatError);
  EXPECT_THROW(import_onnx_bytes({}, "empty.onnx"), FormatError);
  EXPECT_THROW(import_onnx_file(dir + "/does_not_exist.onnx"), IoError);
}

}  // namespace
}  // namespace hepex::onnx
