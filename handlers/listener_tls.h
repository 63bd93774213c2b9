// ListenerTls: the certificate side of a TLS listener (issue 8, for deployments without a reverse
// proxy). It loads a PEM certificate chain and its private key, checks that they belong
// together, and builds a server context (TLS 1.2 or newer, strong ciphers only, no client
// certificates). serverSocket() makes a listening socket that wraps every accepted connection in
// TLS with the context current *at accept time*; reload() swaps that context, so connections
// accepted afterwards get the new certificate while open ones finish on the one they started
// with. A failed reload keeps the current pair.
//
// Poco types stay out of this header (Poco::Net::ServerSocket is only forward-declared; callers
// of serverSocket() include <Poco/Net/ServerSocket.h>). Used by http_listener.cpp.
//
// Thread contract: load(), reload() and serverSocket() from one thread (the owner's); the
// socket's accepting thread reads the current context concurrently (guarded by a mutex). The
// sockets share the state, so they may outlive the ListenerTls.
//
// Errors (kPermanent, naming the file and what to do): a file is missing or unreadable, holds no
// PEM certificate / no unencrypted PEM private key, or the key does not match the certificate.
// Key material never appears in a message.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"

namespace Poco::Net {
class ServerSocket;
}

namespace appkeeper::handlers {

struct ListenerTlsFiles {
  std::string certFile;  // PEM: the server certificate first, then intermediates
  std::string keyFile;   // PEM: its unencrypted private key (PKCS#8 or traditional)
  bool enabled() const { return !certFile.empty(); }
};

// What is being served, for logs and the audit (public parts of the certificate only).
struct TlsCertificateInfo {
  std::string subject;   // RFC 2253, e.g. "CN=appkeeper.example.com"
  std::string serial;    // hexadecimal
  std::string notAfter;  // RFC 3339 UTC
  bool expired = false;  // notAfter is in the past (served anyway; the caller warns)
};

class ListenerTls {
 public:
  static Result<std::unique_ptr<ListenerTls>> load(const ListenerTlsFiles& files);
  ~ListenerTls();
  ListenerTls(const ListenerTls&) = delete;
  ListenerTls& operator=(const ListenerTls&) = delete;

  // Reads `files` again (they may be new paths); on success new connections use them.
  Result<TlsCertificateInfo> reload(const ListenerTlsFiles& files);
  TlsCertificateInfo current() const;
  ListenerTlsFiles files() const;
  // An unbound server socket; bind() and listen() it as usual.
  Poco::Net::ServerSocket serverSocket();

  struct State;  // the context and what it was made from (defined in the .cpp)

 private:
  explicit ListenerTls(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace appkeeper::handlers
