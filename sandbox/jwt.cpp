#include "sandbox/jwt.h"

#include <sodium.h>

#include <cstring>
#include <vector>

namespace pc::sandbox {

namespace {

std::string Base64Url(std::string_view bytes) {
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

Result<std::string> FromBase64Url(std::string_view text) {
  std::vector<unsigned char> buf(text.size() + 3);
  size_t len = 0;
  if (sodium_base642bin(buf.data(), buf.size(), text.data(), text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return InvalidArgument("The token is not base64url");
  }
  return std::string(reinterpret_cast<char*>(buf.data()), len);
}

std::string Mac(std::string_view data, std::string_view key) {
  unsigned char out[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(data.data()),
                                data.size());
  crypto_auth_hmacsha256_final(&st, out);
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

}  // namespace

std::string SignHs256(const json::object& claims, std::string_view key) {
  std::string signing_input =
      Base64Url(R"({"typ":"JWT","alg":"HS256"})") + "." + Base64Url(json::serialize(claims));
  return signing_input + "." + Base64Url(Mac(signing_input, key));
}

Result<json::object> VerifyHs256(std::string_view token, std::string_view key) {
  size_t a = token.find('.');
  size_t b = a == std::string_view::npos ? a : token.find('.', a + 1);
  if (b == std::string_view::npos) return InvalidArgument("The token is not a JWT");
  PC_ASSIGN_OR_RETURN(std::string sig, FromBase64Url(token.substr(b + 1)));
  std::string expected = Mac(token.substr(0, b), key);
  if (sig.size() != expected.size() ||
      sodium_memcmp(sig.data(), expected.data(), sig.size()) != 0) {
    return Unauthenticated("The token signature is not valid");
  }
  PC_ASSIGN_OR_RETURN(std::string claims, FromBase64Url(token.substr(a + 1, b - a - 1)));
  return ParseJsonObject(claims);
}

}  // namespace pc::sandbox
