// A minimal blocking HTTP(S) client for the emulator's integration tests (Poco), one connection
// per call unless a session is passed in. Throws Poco exceptions on transport failures, which
// is what the misbehaviour and TLS tests look at. https verifies the server against `caFile`
// (chain and host name; no system store, so only the test's CA is trusted).
#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timespan.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>

#include "nlohmann/json.hpp"

namespace appkeeper::emulator::testing {

struct HttpAnswer {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  long long contentLength = -1;
  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

struct ParsedUrl {
  bool https = false;
  std::string host;
  unsigned short port = 0;
  std::string target;
};

inline ParsedUrl parseUrl(const std::string& url) {
  const bool https = url.rfind("https://", 0) == 0;
  const std::string prefix = https ? "https://" : "http://";
  if (url.rfind(prefix, 0) != 0) throw std::runtime_error("not an http(s) URL: " + url);
  auto slash = url.find('/', prefix.size());
  std::string authority = url.substr(prefix.size(), slash - prefix.size());
  auto colon = authority.rfind(':');
  ParsedUrl out;
  out.https = https;
  out.host = authority.substr(0, colon);
  out.port = static_cast<unsigned short>(std::stoi(authority.substr(colon + 1)));
  out.target = slash == std::string::npos ? "/" : url.substr(slash);
  return out;
}

inline HttpAnswer send(Poco::Net::HTTPClientSession& session, const std::string& method,
                       const std::string& target, const std::string& body = "",
                       const std::map<std::string, std::string>& headers = {}) {
  Poco::Net::HTTPRequest request(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [k, v] : headers) request.set(k, v);
  if (!body.empty() || method == "POST" || method == "PUT") {
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    if (!request.has("Content-Type")) request.setContentType("application/json");
  }
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  HttpAnswer answer;
  answer.status = static_cast<int>(response.getStatus());
  answer.contentLength = response.getContentLength64();
  for (const auto& [k, v] : response) {
    std::string lower = k;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    answer.headers[lower] = v;
  }
  std::ostringstream out;
  Poco::StreamCopier::copyStream(in, out);
  answer.body = out.str();
  return answer;
}

// A verifying client context trusting only `caFile`, made once per file (tests call it from
// several threads).
inline Poco::Net::Context::Ptr clientTls(const std::string& caFile) {
  static std::mutex mu;
  static std::map<std::string, Poco::Net::Context::Ptr> contexts;
  std::lock_guard lock(mu);
  if (auto it = contexts.find(caFile); it != contexts.end()) return it->second;
  Poco::Net::initializeSSL();
  Poco::Net::Context::Params params;
  params.caLocation = caFile;
  params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
  Poco::Net::Context::Ptr context =
      new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
  context->enableExtendedCertificateVerification(true);
  contexts.emplace(caFile, context);
  return context;
}

inline HttpAnswer call(const std::string& method, const std::string& url,
                       const std::string& body = "",
                       const std::map<std::string, std::string>& headers = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(10),
                       const std::string& caFile = "") {
  ParsedUrl u = parseUrl(url);
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  if (u.https) {
    session = std::make_unique<Poco::Net::HTTPSClientSession>(u.host, u.port, clientTls(caFile));
  } else {
    session = std::make_unique<Poco::Net::HTTPClientSession>(u.host, u.port);
  }
  session->setTimeout(Poco::Timespan(static_cast<long>(timeout.count() / 1000),
                                     static_cast<long>((timeout.count() % 1000) * 1000)));
  return send(*session, method, u.target, body, headers);
}

}  // namespace appkeeper::emulator::testing
