#include "sandbox/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
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

namespace pc::sandbox {

namespace {

std::string BigNumParam(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) return "";
  std::string bytes(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
  BN_free(bn);
  return Base64Url(bytes);
}

}  // namespace

Rs256Signer::Rs256Signer() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  if (!key) throw std::runtime_error("RSA key generation failed");
  key_ = key;
  n_ = BigNumParam(key, OSSL_PKEY_PARAM_RSA_N);
  e_ = BigNumParam(key, OSSL_PKEY_PARAM_RSA_E);
  // A thumbprint-like key id, as Entra's x5t/kid: base64url of 20 bytes of the modulus's hash.
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(n_.data(), n_.size(), digest, &len, EVP_sha1(), nullptr);
  kid_ = Base64Url(std::string_view(reinterpret_cast<char*>(digest), len));
}

Rs256Signer::~Rs256Signer() { EVP_PKEY_free(static_cast<EVP_PKEY*>(key_)); }

const Rs256Signer& Rs256Signer::Instance() {
  static const Rs256Signer* signer = new Rs256Signer();  // lives until exit
  return *signer;
}

std::string Rs256Signer::Sign(const json::object& claims) const {
  json::object header{{"typ", "JWT"}, {"alg", "RS256"}, {"x5t", kid_}, {"kid", kid_}};
  std::string input = Base64Url(json::serialize(header)) + "." + Base64Url(json::serialize(claims));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  std::string sig;
  if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, static_cast<EVP_PKEY*>(key_)) == 1 &&
      EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) == 1) {
    sig.resize(len);
    if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
      len = 0;
    }
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  return input + "." + Base64Url(sig);
}

Result<json::object> Rs256Signer::Verify(std::string_view token) const {
  size_t a = token.find('.');
  size_t b = a == std::string_view::npos ? a : token.find('.', a + 1);
  if (b == std::string_view::npos) return InvalidArgument("The token is not a JWT");
  PC_ASSIGN_OR_RETURN(std::string sig, FromBase64Url(token.substr(b + 1)));
  std::string_view input = token.substr(0, b);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, static_cast<EVP_PKEY*>(key_)) ==
          1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return Unauthenticated("The token signature is not valid");
  PC_ASSIGN_OR_RETURN(std::string claims, FromBase64Url(token.substr(a + 1, b - a - 1)));
  return ParseJsonObject(claims);
}

json::object Rs256Signer::Jwks(const std::string& issuer) const {
  return json::object{{"keys", json::array{json::object{{"kty", "RSA"},
                                                        {"use", "sig"},
                                                        {"kid", kid_},
                                                        {"x5t", kid_},
                                                        {"n", n_},
                                                        {"e", e_},
                                                        {"issuer", issuer}}}}};
}

}  // namespace pc::sandbox
