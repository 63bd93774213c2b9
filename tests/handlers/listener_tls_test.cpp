// The optional TLS of HttpListener (listener_tls.h) over real sockets: 127.0.0.1 port 0,
// certificates made at run time (emulator/self_signed_cert.h), a verifying Poco client.
#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "emulator/self_signed_cert.h"
#include "fakes/fake_clock.h"
#include "fakes/temp_dir.h"
#include "handlers/http_listener.h"
#include "handlers/tls_test_client.h"

using namespace appkeeper;
using namespace appkeeper::handlers;

namespace {

// A CA and a loopback server certificate named `commonName`, written to `dir` as
// <name>-cert.pem / <name>-key.pem / <name>-ca.pem.
struct Pair {
  std::string certFile, keyFile, caFile;
  emulator::TlsMaterial material;
};

Pair makePair(const testing::TempDir& dir, const std::string& name, const std::string& commonName) {
  auto spec = emulator::loopbackCertificateSpec(std::chrono::system_clock::now());
  spec.commonName = commonName;
  auto material = emulator::generateTlsMaterial(spec);
  REQUIRE(material);
  Pair pair{dir.file(name + "-cert.pem"), dir.file(name + "-key.pem"), dir.file(name + "-ca.pem"),
            *material};
  REQUIRE(emulator::writePemFile(pair.certFile, material->server.certificatePem, false));
  REQUIRE(emulator::writePemFile(pair.keyFile, material->server.privateKeyPem, true));
  REQUIRE(emulator::writePemFile(pair.caFile, material->ca.certificatePem, false));
  return pair;
}

Result<std::unique_ptr<HttpListener>> startListener(const testing::FakeClock& clock,
                                                    ListenerTlsFiles tls) {
  HttpListenerOptions options;
  options.name = "test listener";
  options.address = "127.0.0.1";
  options.port = 0;
  options.maxThreads = 4;
  options.maxQueued = 8;
  options.tls = std::move(tls);
  return HttpListener::start(
      std::move(options),
      [](const InboundRequest& in) {
        InboundResponse out;
        out.contentType = "text/plain";
        out.body = "hello " + in.path;
        return out;
      },
      nullptr, clock, nullptr);
}

}  // namespace

TEST_CASE("a TLS listener serves HTTPS with the configured certificate and no plain HTTP",
          "[handlers][tls][integration]") {
  testing::TempDir dir;
  testing::FakeClock clock;
  const Pair pair = makePair(dir, "first", "appkeeper first");
  auto listener = startListener(clock, {pair.certFile, pair.keyFile});
  REQUIRE(listener);
  CHECK((*listener)->tlsEnabled());

  const auto served =
      testing::tls::getOnce("127.0.0.1", (*listener)->port(), "/healthz", pair.caFile);
  CHECK(served.status == 200);
  CHECK(served.body == "hello /healthz");
  CHECK(served.commonName == "appkeeper first");

  // A plain-HTTP request is not answered: the listener expects a TLS handshake.
  Poco::Net::HTTPClientSession plain("127.0.0.1", (*listener)->port());
  plain.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/healthz",
                                 Poco::Net::HTTPMessage::HTTP_1_1);
  Poco::Net::HTTPResponse response;
  CHECK_THROWS_AS((plain.sendRequest(request), plain.receiveResponse(response)), Poco::Exception);
}

TEST_CASE("a listener without TLS files serves plain HTTP and refuses a TLS reload",
          "[handlers][tls][integration]") {
  testing::FakeClock clock;
  auto listener = startListener(clock, {});
  REQUIRE(listener);
  CHECK_FALSE((*listener)->tlsEnabled());
  auto reloaded = (*listener)->reloadTls({"/nonexistent/cert.pem", "/nonexistent/key.pem"});
  REQUIRE_FALSE(reloaded);
  CHECK(reloaded.error().kind == ErrorKind::kInvalidInput);
}

TEST_CASE("a key that does not match the certificate is refused at start naming both files",
          "[handlers][tls][integration]") {
  testing::TempDir dir;
  testing::FakeClock clock;
  const Pair first = makePair(dir, "first", "appkeeper first");
  const Pair second = makePair(dir, "second", "appkeeper second");
  auto listener = startListener(clock, {first.certFile, second.keyFile});
  REQUIRE_FALSE(listener);
  CHECK(listener.error().kind == ErrorKind::kPermanent);
  const std::string& message = listener.error().message;
  INFO(message);
  CHECK(message.find("does not match the certificate") != std::string::npos);
  CHECK(message.find(first.certFile) != std::string::npos);
  CHECK(message.find(second.keyFile) != std::string::npos);
  // Never key material in a message.
  CHECK(message.find("PRIVATE KEY") == std::string::npos);
}

TEST_CASE("a missing certificate or a file without a key is refused at start naming the file",
          "[handlers][tls][integration]") {
  testing::TempDir dir;
  testing::FakeClock clock;
  const Pair pair = makePair(dir, "first", "appkeeper first");

  auto missing = startListener(clock, {dir.file("missing.pem"), pair.keyFile});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::kPermanent);
  CHECK(missing.error().message.find(dir.file("missing.pem")) != std::string::npos);
  CHECK(missing.error().message.find("No such file") != std::string::npos);

  // The certificate given as the key (a common slip).
  auto notAKey = startListener(clock, {pair.certFile, pair.certFile});
  REQUIRE_FALSE(notAKey);
  CHECK(notAKey.error().kind == ErrorKind::kPermanent);
  CHECK(notAKey.error().message.find("holds no unencrypted PEM private key") != std::string::npos);

  const std::string garbage = dir.write("garbage.pem", "not a certificate\n");
  auto notACert = startListener(clock, {garbage, pair.keyFile});
  REQUIRE_FALSE(notACert);
  CHECK(notACert.error().message.find("holds no PEM certificate") != std::string::npos);
}

TEST_CASE("a TLS reload gives new connections the new certificate, an open one keeps the old",
          "[handlers][tls][integration]") {
  testing::TempDir dir;
  testing::FakeClock clock;
  const Pair first = makePair(dir, "first", "appkeeper first");
  const Pair second = makePair(dir, "second", "appkeeper second");
  const std::string bundle =
      dir.write("bundle.pem", first.material.ca.certificatePem + second.material.ca.certificatePem);
  // The deployed paths; renewal overwrites them, then reloads.
  const std::string certFile = dir.file("live-cert.pem");
  const std::string keyFile = dir.file("live-key.pem");
  REQUIRE(emulator::writePemFile(certFile, first.material.server.certificatePem, false));
  REQUIRE(emulator::writePemFile(keyFile, first.material.server.privateKeyPem, true));
  auto listener = startListener(clock, {certFile, keyFile});
  REQUIRE(listener);
  const uint16_t port = (*listener)->port();

  testing::tls::Connection open("127.0.0.1", port, bundle);
  const auto before = open.get("/a");
  CHECK(before.commonName == "appkeeper first");

  REQUIRE(emulator::writePemFile(certFile, second.material.server.certificatePem, false));
  REQUIRE(emulator::writePemFile(keyFile, second.material.server.privateKeyPem, true));
  auto info = (*listener)->reloadTls({certFile, keyFile});
  REQUIRE(info);
  CHECK(info->subject == "CN=appkeeper second");
  CHECK_FALSE(info->expired);

  const auto fresh = testing::tls::getOnce("127.0.0.1", port, "/b", bundle);
  CHECK(fresh.status == 200);
  CHECK(fresh.commonName == "appkeeper second");
  CHECK(fresh.serial == info->serial);  // what the listener reports is what it serves

  // The connection opened before the reload finishes on its certificate.
  const auto again = open.get("/c");
  CHECK(again.status == 200);
  CHECK(again.commonName == "appkeeper first");
  CHECK(again.serial == before.serial);
}

TEST_CASE("a failed TLS reload keeps serving the previous certificate",
          "[handlers][tls][integration]") {
  testing::TempDir dir;
  testing::FakeClock clock;
  const Pair first = makePair(dir, "first", "appkeeper first");
  const Pair second = makePair(dir, "second", "appkeeper second");
  auto listener = startListener(clock, {first.certFile, first.keyFile});
  REQUIRE(listener);
  const auto before = testing::tls::getOnce("127.0.0.1", (*listener)->port(), "/", first.caFile);

  auto mismatched = (*listener)->reloadTls({second.certFile, first.keyFile});
  REQUIRE_FALSE(mismatched);
  CHECK(mismatched.error().kind == ErrorKind::kPermanent);
  CHECK(mismatched.error().message.find("does not match") != std::string::npos);
  auto missing = (*listener)->reloadTls({dir.file("gone.pem"), first.keyFile});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find(dir.file("gone.pem")) != std::string::npos);

  const auto after = testing::tls::getOnce("127.0.0.1", (*listener)->port(), "/", first.caFile);
  CHECK(after.status == 200);
  CHECK(after.commonName == "appkeeper first");
  CHECK(after.serial == before.serial);
}
