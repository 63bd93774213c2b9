// Throw-away TLS material made with OpenSSL at run time: a CA certificate and a server
// certificate it signs, both with fresh EC P-256 keys. The emulator's `--tls` serves the server
// certificate and writes the CA to `--tls-ca-out` (what clients trust); tests use it to make
// certificates that must be refused (expired, issued for another name, from another CA).
//
// Nothing here reads a clock or touches the file system except writePemFile(). Pure functions,
// thread-safe. Errors: kInternal when OpenSSL fails (its error text is in the message),
// kInvalidInput for an address in ipAddresses that is not an IP address; writePemFile: kPermanent
// naming the file.
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace appkeeper::emulator {

struct CertificateSpec {
  std::string commonName = "appkeeper graph-emulator";
  std::vector<std::string> dnsNames;     // subjectAltName DNS entries
  std::vector<std::string> ipAddresses;  // subjectAltName IP entries ("127.0.0.1", "::1")
  WallTime notBefore;
  WallTime notAfter;
};

// localhost, 127.0.0.1 and ::1; valid from 5 minutes before `now` (clock skew) for one day.
CertificateSpec loopbackCertificateSpec(WallTime now);

struct PemCertificate {
  std::string certificatePem;
  std::string privateKeyPem;  // unencrypted PKCS#8: a secret, write it with mode 0600
};

struct TlsMaterial {
  PemCertificate ca;      // self-signed, CA:TRUE; the trust anchor clients are given
  PemCertificate server;  // CA:FALSE, serverAuth, the spec's names and validity, signed by `ca`
};

// A new CA (named after the spec's commonName, valid for the spec's period) and a server
// certificate for the spec, signed by it.
Result<TlsMaterial> generateTlsMaterial(const CertificateSpec& spec);

// Writes `pem` to `path` (created or truncated with mode 0600 when `secret`, 0644 otherwise).
Status writePemFile(const std::string& path, const std::string& pem, bool secret);

}  // namespace appkeeper::emulator
