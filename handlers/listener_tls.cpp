#include "handlers/listener_tls.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/ServerSocketImpl.h>
#include <Poco/Net/StreamSocket.h>
#include <openssl/asn1.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <system_error>
#include <vector>

#include "common/openssl_pem.h"
#include "common/poco_ssl_init.h"

namespace appkeeper::handlers {
namespace {

using namespace openssl;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// Mozilla's "intermediate" TLS 1.2 list: forward secrecy and AEAD only. TLS 1.3 suites are
// OpenSSL's defaults, all of which are fine.
constexpr const char* kCipherList =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384";
// Far above any certificate chain or key; stops a mistaken path (a log, /dev/zero) early.
constexpr size_t kMaxPemBytes = 1 << 20;

Result<std::string> readPemFile(const std::string& path, const std::string& what) {
  FilePtr file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    const std::string reason = std::generic_category().message(errno);
    return Error::permanent("cannot read the " + what + " " + path + " (" + reason +
                            "): check the path and that the daemon's user may read it");
  }
  std::string text;
  char buffer[8192];
  // Bounded by kMaxPemBytes.
  for (size_t n = 0; (n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0;) {
    text.append(buffer, n);
    if (text.size() > kMaxPemBytes) {
      return Error::permanent("the " + what + " " + path +
                              " is larger than 1 MiB: it is not a PEM file; check the path");
    }
  }
  if (std::ferror(file.get())) {
    return Error::permanent("cannot read the " + what + " " + path + ": read error");
  }
  return text;
}

std::string subjectOf(X509* cert) {
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || X509_NAME_print_ex(out.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0) {
    ERR_clear_error();
    return "?";
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string serialOf(X509* cert) {
  BnPtr bn(ASN1_INTEGER_to_BN(X509_get_serialNumber(cert), nullptr));
  char* hex = bn ? BN_bn2hex(bn.get()) : nullptr;
  if (!hex) {
    ERR_clear_error();
    return "?";
  }
  std::string out(hex);
  OPENSSL_free(hex);
  return out;
}

std::string notAfterOf(X509* cert) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) {
    ERR_clear_error();
    return "?";
  }
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

struct Loaded {
  Poco::Net::Context::Ptr context;
  TlsCertificateInfo info;
};

Result<Loaded> loadPair(const ListenerTlsFiles& files) {
  initializeSslOnce();
  ERR_clear_error();
  if (files.certFile.empty() || files.keyFile.empty()) {
    return Error::permanent("TLS needs both a certificate file and a key file");
  }
  auto certText = readPemFile(files.certFile, "TLS certificate file");
  if (!certText) return certText.error();
  auto keyText = readPemFile(files.keyFile, "TLS key file");
  if (!keyText) return keyText.error();

  auto certs = readCertificates(*certText);
  if (certs.empty()) {
    return Error::permanent("the TLS certificate file " + files.certFile +
                            " holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the "
                            "server certificate, then its intermediates, in PEM");
  }
  KeyPtr key = readPrivateKey(*keyText);
  if (!key) {
    return Error::permanent("the TLS key file " + files.keyFile +
                            " holds no unencrypted PEM private key (" + lastError() +
                            "); an encrypted key must be decrypted first (openssl pkey -in KEY "
                            "-out KEY.plain), then given with mode 0600");
  }
  if (X509_check_private_key(certs.front().get(), key.get()) != 1) {
    ERR_clear_error();
    return Error::permanent("the TLS key in " + files.keyFile +
                            " does not match the certificate in " + files.certFile +
                            ": give the key the certificate was issued for (compare `openssl "
                            "x509 -noout -pubkey -in CERT` with `openssl pkey -pubout -in KEY`)");
  }

  Loaded loaded;
  try {
    Poco::Net::Context::Params params;
    params.verificationMode = Poco::Net::Context::VERIFY_NONE;  // no client certificates
    params.loadDefaultCAs = false;
    params.cipherList = kCipherList;
    loaded.context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
    loaded.context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    loaded.context->preferServerCiphers();
    // Every connection gets a full handshake with the current certificate: no session cache,
    // no tickets (a ticket from before a reload would skip the new certificate).
    loaded.context->enableSessionCache(false);
    loaded.context->disableStatelessSessionResumption();
  } catch (const Poco::Exception& e) {
    return Error::internal("cannot set up the TLS server context: " + e.displayText());
  }
  SSL_CTX* ssl = loaded.context->sslContext();
  SSL_CTX_set_num_tickets(ssl, 0);
  SSL_CTX_set_options(ssl, SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_use_certificate(ssl, certs.front().get()) != 1) {
    return Error::permanent("the TLS certificate in " + files.certFile +
                            " cannot be used: " + lastError());
  }
  for (size_t i = 1; i < certs.size(); ++i) {
    if (SSL_CTX_add1_chain_cert(ssl, certs[i].get()) != 1) {
      return Error::permanent("the TLS certificate chain in " + files.certFile +
                              " cannot be used (certificate " + std::to_string(i + 1) +
                              "): " + lastError());
    }
  }
  if (SSL_CTX_use_PrivateKey(ssl, key.get()) != 1 || SSL_CTX_check_private_key(ssl) != 1) {
    return Error::permanent("the TLS key in " + files.keyFile +
                            " cannot be used with the certificate in " + files.certFile + ": " +
                            lastError());
  }
  X509* leaf = certs.front().get();
  loaded.info.subject = subjectOf(leaf);
  loaded.info.serial = serialOf(leaf);
  loaded.info.notAfter = notAfterOf(leaf);
  loaded.info.expired = X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0;
  return loaded;
}

}  // namespace

struct ListenerTls::State {
  mutable std::mutex mu;
  Poco::Net::Context::Ptr context;  // guarded by mu
  TlsCertificateInfo info;          // guarded by mu
  ListenerTlsFiles files;           // guarded by mu

  Poco::Net::Context::Ptr currentContext() const {
    std::lock_guard lock(mu);
    return context;
  }
};

namespace {

// A listening socket whose accepted connections speak TLS with the context current at accept
// time. Poco's SecureServerSocket fixes its context for life; this is its acceptConnection()
// with the context read from the shared State instead.
class ReloadableTlsServerSocketImpl final : public Poco::Net::ServerSocketImpl {
 public:
  explicit ReloadableTlsServerSocketImpl(std::shared_ptr<const ListenerTls::State> state)
      : state_(std::move(state)) {}

  Poco::Net::SocketImpl* acceptConnection(Poco::Net::SocketAddress& clientAddr) override {
    Poco::Net::StreamSocket plain(Poco::Net::ServerSocketImpl::acceptConnection(clientAddr));
    // Sets up the server side only; the handshake runs on the connection's thread at its first
    // read, so a slow client does not hold up the accepting thread.
    Poco::Net::SecureStreamSocket secure =
        Poco::Net::SecureStreamSocket::attach(plain, state_->currentContext());
    Poco::Net::SocketImpl* impl = secure.impl();
    impl->duplicate();  // the caller (ServerSocket::acceptConnection) owns one reference
    return impl;
  }

 private:
  std::shared_ptr<const ListenerTls::State> state_;
};

class ReloadableTlsServerSocket final : public Poco::Net::ServerSocket {
 public:
  explicit ReloadableTlsServerSocket(ReloadableTlsServerSocketImpl* impl)
      : Poco::Net::ServerSocket(impl, true) {}
};

}  // namespace

Result<std::unique_ptr<ListenerTls>> ListenerTls::load(const ListenerTlsFiles& files) {
  auto loaded = loadPair(files);
  if (!loaded) return loaded.error();
  auto state = std::make_shared<State>();
  state->context = std::move(loaded->context);
  state->info = std::move(loaded->info);
  state->files = files;
  return std::unique_ptr<ListenerTls>(new ListenerTls(std::move(state)));
}

ListenerTls::ListenerTls(std::shared_ptr<State> state) : state_(std::move(state)) {}

ListenerTls::~ListenerTls() = default;

Result<TlsCertificateInfo> ListenerTls::reload(const ListenerTlsFiles& files) {
  auto loaded = loadPair(files);
  if (!loaded) return loaded.error();
  std::lock_guard lock(state_->mu);
  // The old context lives on in the connections that hold it, and goes with the last of them.
  state_->context = std::move(loaded->context);
  state_->info = loaded->info;
  state_->files = files;
  return loaded->info;
}

TlsCertificateInfo ListenerTls::current() const {
  std::lock_guard lock(state_->mu);
  return state_->info;
}

ListenerTlsFiles ListenerTls::files() const {
  std::lock_guard lock(state_->mu);
  return state_->files;
}

Poco::Net::ServerSocket ListenerTls::serverSocket() {
  return ReloadableTlsServerSocket(new ReloadableTlsServerSocketImpl(state_));
}

}  // namespace appkeeper::handlers
