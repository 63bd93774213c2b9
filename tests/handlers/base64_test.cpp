#include "handlers/base64.h"

#include <catch2/catch.hpp>

using appkeeper::handlers::base64Decode;
using appkeeper::handlers::base64Encode;

TEST_CASE("base64 encodes the RFC 4648 test vectors with padding", "[handlers]") {
  CHECK(base64Encode("") == "");
  CHECK(base64Encode("f") == "Zg==");
  CHECK(base64Encode("fo") == "Zm8=");
  CHECK(base64Encode("foo") == "Zm9v");
  CHECK(base64Encode("foob") == "Zm9vYg==");
  CHECK(base64Encode("fooba") == "Zm9vYmE=");
  CHECK(base64Encode("foobar") == "Zm9vYmFy");
  CHECK(base64Encode(std::string("\xff\xfe\x00", 3)) == "//4A");
}

TEST_CASE("base64 decodes padded and unpadded text back to the same bytes", "[handlers]") {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    std::string encoded = base64Encode(s);
    CHECK(base64Decode(encoded) == s);
    while (!encoded.empty() && encoded.back() == '=') encoded.pop_back();
    CHECK(base64Decode(encoded) == s);
  }
  CHECK(base64Decode("//4A") == std::string("\xff\xfe\x00", 3));
}

TEST_CASE("base64 decoding refuses text that is not strict standard base64", "[handlers]") {
  CHECK_FALSE(base64Decode("Zm9v!").has_value());     // outside the alphabet
  CHECK_FALSE(base64Decode("Zm-v").has_value());      // the URL-safe alphabet is a different key
  CHECK_FALSE(base64Decode("Zm9 v").has_value());     // whitespace
  CHECK_FALSE(base64Decode("Z").has_value());         // impossible length
  CHECK_FALSE(base64Decode("Zg=").has_value());       // padding to a wrong length
  CHECK_FALSE(base64Decode("Z===").has_value());      // too much padding
  CHECK_FALSE(base64Decode("Zg==Zg==").has_value());  // padding in the middle
  CHECK_FALSE(base64Decode("Zh==").has_value());      // non-zero leftover bits
}
