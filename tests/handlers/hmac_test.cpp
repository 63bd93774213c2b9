#include "handlers/hmac.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "handlers/base64.h"

using namespace appkeeper::handlers;

TEST_CASE("HMAC-SHA256 matches RFC 4231 test case 2", "[handlers]") {
  // key "Jefe", data "what do ya want for nothing?"
  CHECK(base64Encode(hmacSha256("Jefe", "what do ya want for nothing?")) ==
        base64Encode(std::string("\x5b\xdc\xc1\x46\xbf\x60\x75\x4e\x6a\x04\x24\x26\x08\x95\x75\xc7"
                                 "\x5a\x00\x3f\x08\x9d\x27\x39\x83\x9d\xec\x58\xb9\x64\xec\x38\x43",
                                 32)));
}

TEST_CASE("HMAC-SHA256 hashes keys longer than the block size first (RFC 4231 case 6)",
          "[handlers]") {
  std::string key(131, '\xaa');
  CHECK(base64Encode(hmacSha256(key, "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        base64Encode(std::string("\x60\xe4\x31\x59\x1e\xe0\xb6\x7f\x0d\x8a\x26\xaa\xcb\xf5\xb7\x7f"
                                 "\x8e\x0b\xc6\x21\x37\x28\xc5\x14\x05\x46\x04\x0f\x0e\xe3\x7f\x54",
                                 32)));
}

TEST_CASE("HMAC-SHA256 with an empty key is that, not the key of the thread's previous call",
          "[handlers]") {
  const std::string emptyKeyMac = std::string(
      "\xb6\x13\x67\x9a\x08\x14\xd9\xec\x77\x2f\x95\xd7\x78\xc3\x5f\xc5"
      "\xff\x16\x97\xc4\x93\x71\x56\x53\xc6\xc7\x12\x14\x42\x92\xc5\xad",
      32);  // HMAC-SHA256("", "")
  CHECK(base64Encode(hmacSha256("", "")) == base64Encode(emptyKeyMac));
  CHECK(hmacSha256("Jefe", "") != emptyKeyMac);
  CHECK(base64Encode(hmacSha256("", "")) == base64Encode(emptyKeyMac));
}

TEST_CASE("constant-time comparison says equal only for identical strings", "[handlers]") {
  CHECK(constantTimeEquals("secret-client-state", "secret-client-state"));
  CHECK(constantTimeEquals("", ""));
  CHECK_FALSE(constantTimeEquals("secret-client-state", "secret-client-statf"));
  CHECK_FALSE(constantTimeEquals("secret-client-state", "secret-client-stat"));
  CHECK_FALSE(constantTimeEquals("", "x"));
  CHECK_FALSE(constantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

// Regression: the Poco DigestEngine version tore OpenSSL's locks down whenever the last engine
// died while another thread was hashing (a daemon with no TLS context crashed under load).
TEST_CASE("hashing from many threads at once needs no shared crypto state", "[handlers]") {
  const std::string expected = hmacSha256("key", "payload");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        if (hmacSha256("key", "payload") != expected) ++wrong;
        if (!constantTimeEquals("client-state", "client-state")) ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(wrong == 0);
}
