// The Poco transport's TLS against a raw TLS server on 127.0.0.1 port 0 that records every
// decrypted byte it receives. Certificates are made per test (emulator/self_signed_cert.h): a
// trusted one, one from another CA, a self-signed one, an expired one and one for another name.
// Each refusal must be permanent, name host:port and the reason in one line, and leave the
// server with nothing: no request line, no Authorization header, no token request body.
#include <Poco/Net/Context.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <openssl/ssl.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "emulator/self_signed_cert.h"
#include "fakes/fake_clock.h"
#include "fakes/temp_dir.h"
#include "graph/http_transport.h"
#include "graph/tls_context.h"
#include "graph/token_source.h"

using namespace appkeeper;
using namespace appkeeper::graph;
using appkeeper::emulator::CertificateSpec;
using appkeeper::emulator::PemCertificate;
using appkeeper::emulator::TlsMaterial;
using appkeeper::testing::TempDir;
using namespace std::chrono_literals;

namespace {

constexpr const char* kBearer = "Bearer tls-test-token-8f3a";
constexpr const char* kClientSecret = "tls-test-secret-Qx7!";

TlsMaterial material(CertificateSpec spec) {
  auto made = emulator::generateTlsMaterial(spec);
  REQUIRE(made.ok());
  return *made;
}

CertificateSpec loopbackSpec() {
  return emulator::loopbackCertificateSpec(std::chrono::system_clock::now());
}

// A TLS server for one connection: completes the handshake if the client lets it, records what
// arrives, and answers a complete request head with 200 "ok". Joined on destruction.
class RecordingTlsServer {
 public:
  RecordingTlsServer(const TempDir& dir, const PemCertificate& served)
      : socket_(Poco::Net::SocketAddress("127.0.0.1", 0), 4, serverContext(dir, served)),
        thread_([this] { serveOne(); }) {}
  ~RecordingTlsServer() {
    if (thread_.joinable()) thread_.join();
  }
  RecordingTlsServer(const RecordingTlsServer&) = delete;
  RecordingTlsServer& operator=(const RecordingTlsServer&) = delete;

  std::string url(const std::string& target = "/") const {
    return "https://127.0.0.1:" + std::to_string(socket_.address().port()) + target;
  }
  std::string hostPort() const { return "127.0.0.1:" + std::to_string(socket_.address().port()); }
  // Waits for the connection to end (bounded by the server's own timeouts), then reports.
  std::string received() {
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mu_);
    return received_;
  }

 private:
  // Built before the socket: a default SecureServerSocket would ask Poco's SSLManager for a
  // context, which needs a Poco Application.
  static Poco::Net::Context::Ptr serverContext(const TempDir& dir, const PemCertificate& served) {
    Poco::Net::initializeSSL();
    const std::string cert = dir.write("served.pem", served.certificatePem);
    const std::string key = dir.write("served-key.pem", served.privateKeyPem);
    return new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, key, cert, "",
                                  Poco::Net::Context::VERIFY_NONE);
  }

  void serveOne() {
    try {
      // Bounded: a client that never connects frees the thread after 10 s.
      if (!socket_.poll(Poco::Timespan(10, 0), Poco::Net::Socket::SELECT_READ)) return;
      Poco::Net::SecureStreamSocket connection(socket_.acceptConnection());
      connection.setReceiveTimeout(Poco::Timespan(5, 0));
      char buffer[4096];
      // Bounded by size, by the client closing and by the receive timeout.
      for (int reads = 0; reads < 64; ++reads) {
        const int n = connection.receiveBytes(buffer, sizeof buffer);  // handshake on first read
        if (n <= 0) return;
        std::lock_guard lock(mu_);
        received_.append(buffer, static_cast<size_t>(n));
        if (received_.find("\r\n\r\n") != std::string::npos) break;
      }
      const std::string answer =
          "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
      connection.sendBytes(answer.data(), static_cast<int>(answer.size()));
      connection.shutdown();
    } catch (const Poco::Exception&) {
      // The client aborted the handshake: exactly what the refusal tests expect.
    }
  }

  Poco::Net::SecureServerSocket socket_;
  std::mutex mu_;
  std::string received_;  // guarded by mu_
  std::thread thread_;
};

HttpRequest authorizedGet(const std::string& url) {
  HttpRequest r;
  r.url = url;
  r.headers = {{"Authorization", kBearer}};
  r.timeout = 5000ms;
  return r;
}

std::unique_ptr<HttpTransport> transportTrusting(const TempDir& dir, const PemCertificate& ca) {
  TransportOptions options;
  options.caFile = dir.write("trusted-ca.pem", ca.certificatePem);
  return makePocoTransport(options);
}

void requireRefusal(const Result<HttpResponse>& response, const std::string& expected) {
  REQUIRE_FALSE(response.ok());
  INFO(response.error().message);
  CHECK(response.error().kind == ErrorKind::kPermanent);
  CHECK_THAT(response.error().message, Catch::StartsWith(expected));
  CHECK(response.error().message.find('\n') == std::string::npos);
  CHECK(response.error().message.find("tls-test-token") == std::string::npos);
}

}  // namespace

TEST_CASE("HTTPS works when the server certificate chains to the configured CA",
          "[graph][transport][tls][integration]") {
  TempDir dir;
  TlsMaterial trusted = material(loopbackSpec());
  RecordingTlsServer server(dir, trusted.server);
  auto response =
      transportTrusting(dir, trusted.ca)->send(authorizedGet(server.url("/v1.0/teams")));
  REQUIRE(response.ok());
  CHECK(response->status == 200);
  CHECK(response->body == "ok");
  // The control for the refusal tests below: a verified server does get the request.
  CHECK_THAT(server.received(),
             Catch::StartsWith("GET /v1.0/teams HTTP/1.1") && Catch::Contains(kBearer));
}

TEST_CASE(
    "a server certificate from a CA the client does not trust is refused before any "
    "request byte is sent",
    "[graph][transport][tls][integration]") {
  TempDir dir;
  TlsMaterial trusted = material(loopbackSpec());
  TlsMaterial other = material(loopbackSpec());
  RecordingTlsServer server(dir, other.server);
  auto response = transportTrusting(dir, trusted.ca)->send(authorizedGet(server.url()));
  requireRefusal(response, "TLS to " + server.hostPort() +
                               " failed: certificate verify failed: unable to get local issuer "
                               "certificate");
  CHECK_THAT(response.error().message, Catch::Contains("[graph] ca_file"));
  CHECK(server.received().empty());
}

TEST_CASE("a self-signed server certificate is refused when nothing vouches for it",
          "[graph][transport][tls][integration]") {
  TempDir dir;
  TlsMaterial selfSigned = material(loopbackSpec());
  RecordingTlsServer server(dir, selfSigned.ca);  // the CA serves itself: a self-signed leaf
  auto response = makePocoTransport()->send(authorizedGet(server.url()));
  requireRefusal(response, "TLS to " + server.hostPort() +
                               " failed: certificate verify failed: self-signed certificate");
  CHECK(server.received().empty());
}

TEST_CASE("an expired server certificate is refused even from a trusted CA",
          "[graph][transport][tls][integration]") {
  TempDir dir;
  CertificateSpec expired = loopbackSpec();
  expired.notBefore = std::chrono::system_clock::now() - 48h;
  expired.notAfter = std::chrono::system_clock::now() - 24h;
  TlsMaterial old = material(expired);
  RecordingTlsServer server(dir, old.server);
  auto response = transportTrusting(dir, old.ca)->send(authorizedGet(server.url()));
  requireRefusal(response, "TLS to " + server.hostPort() +
                               " failed: certificate verify failed: certificate has expired");
  CHECK(server.received().empty());
}

TEST_CASE("a trusted certificate issued for another host name is refused inside the handshake",
          "[graph][transport][tls][integration]") {
  TempDir dir;
  CertificateSpec localhostOnly = loopbackSpec();
  localhostOnly.dnsNames = {"localhost"};
  localhostOnly.ipAddresses = {};
  TlsMaterial named = material(localhostOnly);
  RecordingTlsServer server(dir, named.server);
  auto response = transportTrusting(dir, named.ca)->send(authorizedGet(server.url()));
  requireRefusal(response, "TLS to " + server.hostPort() +
                               " failed: host name mismatch: certificate is for localhost, not "
                               "127.0.0.1");
  CHECK(server.received().empty());
}

TEST_CASE("the client secret never reaches a token endpoint whose certificate fails verification",
          "[graph][transport][tls][integration]") {
  TempDir dir;
  TlsMaterial trusted = material(loopbackSpec());
  TlsMaterial other = material(loopbackSpec());
  RecordingTlsServer server(dir, other.server);
  auto transport = transportTrusting(dir, trusted.ca);
  appkeeper::testing::FakeClock clock;
  ClientCredentials credentials;
  credentials.tokenUrl = server.url("/tenant/oauth2/v2.0/token");
  credentials.clientId = "22222222-2222-2222-2222-222222222222";
  credentials.clientSecret = kClientSecret;
  credentials.timeout = 5000ms;
  ClientCredentialsTokenSource source(credentials, *transport, clock);
  auto token = source.token();
  REQUIRE_FALSE(token.ok());
  INFO(token.error().message);
  CHECK(token.error().kind == ErrorKind::kPermanent);
  CHECK_THAT(token.error().message,
             Catch::Contains("TLS to " + server.hostPort() + " failed: certificate verify failed"));
  CHECK(token.error().message.find(kClientSecret) == std::string::npos);
  const std::string received = server.received();
  CHECK(received.empty());
  CHECK(received.find("client_secret") == std::string::npos);
}

TEST_CASE("client TLS contexts refuse protocols older than TLS 1.2 and always verify the peer",
          "[graph][transport][tls]") {
  auto context = makeClientTlsContext("", "graph.microsoft.com");
  REQUIRE(context.ok());
  SSL_CTX* ssl = (*context)->sslContext();
  CHECK(SSL_CTX_get_min_proto_version(ssl) == TLS1_2_VERSION);
  CHECK((SSL_CTX_get_verify_mode(ssl) & SSL_VERIFY_PEER) != 0);
}

TEST_CASE("an unreadable CA file is a permanent error naming the file",
          "[graph][transport][tls][integration]") {
  TransportOptions options;
  options.caFile = "/nonexistent/appkeeper-ca.pem";
  HttpRequest request;
  request.url = "https://127.0.0.1:1/";
  auto response = makePocoTransport(options)->send(request);
  REQUIRE_FALSE(response.ok());
  CHECK(response.error().kind == ErrorKind::kPermanent);
  CHECK_THAT(response.error().message, Catch::Contains("/nonexistent/appkeeper-ca.pem"));
}
