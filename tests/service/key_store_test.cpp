// The key store: server-chosen ids that cannot leave the store, tokens checked against their hashes,
// persistence across instances, incomplete uploads, file modes.
#include "service/key_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "io/safe_file.hpp"
#include "service/errors.hpp"

namespace hepex::service {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path = fs::temp_directory_path() /
                  ("hepex_key_store_" + std::to_string(::getpid()) + "_" +
                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  TempDir() { fs::remove_all(path); }
  ~TempDir() { fs::remove_all(path); }
};

const std::vector<std::uint8_t> kBody = {'H', 'E', 'P', 'E', 'X', 0x1a, '\r', '\n', 2, 0, 0, 0, 7, 0, 0, 0, 42};

TEST(KeyStore, IdsAreFreshHexAndTokensAreChecked) {
  TempDir d;
  KeyStore store(d.path.string());
  std::set<std::string> ids;
  std::vector<Credentials> creds;
  for (int i = 0; i < 4; ++i) {
    creds.push_back(store.add(kBody));
    EXPECT_TRUE(valid_key_id(creds.back().key_id)) << creds.back().key_id;
    EXPECT_EQ(creds.back().token.size(), kTokenBytes);
    ids.insert(creds.back().key_id);
  }
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_EQ(creds[0].token == creds[1].token, false);
  // The file holds the body and its integrity trailer; the path is inside the store.
  const fs::path p = store.authorize(creds[0]);
  EXPECT_EQ(p.parent_path().parent_path(), d.path);
  const auto bytes = io::read_file_bytes(p.string());
  ASSERT_GE(bytes.size(), kBody.size());
  EXPECT_TRUE(std::equal(kBody.begin(), kBody.end(), bytes.begin()));
  // Another client's token, a token one bit off, a short token: refused.
  EXPECT_THROW(store.authorize({creds[0].key_id, creds[1].token}), AccessDenied);
  auto flipped = creds[0].token;
  flipped[31] ^= 1;
  EXPECT_THROW(store.authorize({creds[0].key_id, flipped}), AccessDenied);
  EXPECT_THROW(store.authorize({creds[0].key_id, {1, 2, 3}}), AccessDenied);
  EXPECT_THROW(store.authorize({"", creds[0].token}), AccessDenied);
  // The token itself is never stored.
  for (const auto& e : fs::recursive_directory_iterator(d.path))
    if (e.is_regular_file()) {
      const auto b = io::read_file_bytes(e.path().string());
      EXPECT_EQ(std::search(b.begin(), b.end(), creds[0].token.begin(), creds[0].token.end()), b.end()) << e.path();
      struct stat st {};
      ASSERT_EQ(::stat(e.path().c_str(), &st), 0);
      EXPECT_EQ(st.st_mode & 0777, 0600u) << e.path();
    }
}

TEST(KeyStore, MalformedIdsNeverReachTheFileSystem) {
  TempDir d;
  KeyStore store(d.path.string());
  const auto c = store.add(kBody);
  for (const std::string& id : std::vector<std::string>{"..", "../" + c.key_id, c.key_id + "/", c.key_id.substr(0, 31), c.key_id + "0",
                               std::string(32, 'G'), std::string(32, 'A'), "/etc/passwd", std::string(31, 'a') + "\n"}) {
    EXPECT_FALSE(valid_key_id(id)) << id;
    EXPECT_THROW(store.authorize({id, c.token}), InvalidArgument) << id;
  }
  EXPECT_THROW(store.authorize({std::string(32, 'a'), c.token}), UnknownKeys);  // well formed, unknown
}

TEST(KeyStore, KeysSurviveANewInstanceAndIncompleteUploadsDoNot) {
  TempDir d;
  Credentials c;
  {
    KeyStore store(d.path.string());
    c = store.add(kBody);
  }
  KeyStore again(d.path.string());
  EXPECT_NO_THROW(again.authorize(c));
  // A crash before token.hash was written leaves a directory that holds no keys.
  fs::remove(d.path / c.key_id / "token.hash");
  EXPECT_THROW(again.authorize(c), UnknownKeys);
  const auto c2 = again.add(kBody);
  again.remove(c2);
  EXPECT_THROW(again.authorize(c2), UnknownKeys);
  EXPECT_FALSE(fs::exists(d.path / c2.key_id));
}

TEST(KeyStore, AFullStoreRefusesMoreUploads) {
  TempDir d;
  KeyStore store(d.path.string(), 2);
  const auto a = store.add(kBody);
  store.add(kBody);
  EXPECT_EQ(store.size(), 2u);
  EXPECT_THROW(store.add(kBody), Busy);
  store.remove(a);
  EXPECT_NO_THROW(store.add(kBody));
}

}  // namespace
}  // namespace hepex::service
