// Error and Result<T>: how libpki reports that an operation could not be done.
//
// An invalid certificate is not an error (verify() returns a VerifyResult); an Error means the
// operation could not run or was refused. Each code maps to one exit status of the `pki` command
// (DESIGN.md, "The command line").
#pragma once

#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <utility>
#include <vector>

namespace pki {

enum class ErrorCode : int {
  kRefused = 1,    // a check or policy refused the operation (name constraints, path length, ...)
  kBadInput = 2,   // malformed or unusable input; nothing was changed
  kNotFound = 3,   // a named CA, certificate or database does not exist
  kStore = 4,      // storage or I/O failure (database, files, network)
  kInternal = 70,  // a bug or an unexpected library failure (EX_SOFTWARE)
};

// The part of a request an error is about, when it is one. libpki names fields and limits in its
// messages, never a front end's flags; the `pki` command maps a Field to its option.
enum class Field {
  kNone,
  kDatabase,      // the store's location
  kPassphrase,    // the passphrase for CA keys
  kCa,            // the CA a request names
  kDays,          // a validity period in days
  kPathLen,       // a CA's pathLenConstraint
  kPermittedDns,  // name constraints asked for a new CA
  kExcludedDns,
  kCommonName,
  kSubjectAltName,
  kInvalidityDate,
  kCrlValidity,  // a CRL's nextUpdate - thisUpdate
  kMaxDepth,     // the verifier's path depth limit
  kClientKey,    // a TLS client certificate's key
  kKeyOut,       // where a generated key goes
  kCsr,
  kSubject,           // a distinguished name given as text
  kKey,               // a private key given as input (a file)
  kKeyPassphrase,     // the passphrase of a key file (not a CA key)
  kPkcs12Passphrase,  // the passphrase of a PKCS#12 file read as input
  kParent,            // the parent CA a new CA names
  kCertificate,       // a certificate given as input (a file)
  kChain,             // issuers given as input (a file)
  kIndex,             // an openssl ca index.txt being imported
  kCertsDir,          // the certificate files of an imported index
  kCrlNumber,         // an openssl ca crlnumber file
  kGeneration,        // a CA's key generation
  kProfile,           // a certificate profile
  kValidity,          // a leaf's lifetime (days, a length or an end time)
  kOverwrite,         // an output file that exists
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;  // one line, safe to print: never a secret
  std::string detail;   // diagnostics (OpenSSL or SQLite error text), may be empty
  Field field = Field::kNone;
};

template <class T>
using Result = tl::expected<T, Error>;

// Conditions that do not stop an operation but that its user should know (an unencrypted CA key,
// a CRL signed by an expired CA): the library adds one line each, the front end shows them.
using Warnings = std::vector<std::string>;

inline tl::unexpected<Error> fail(ErrorCode code, std::string message, std::string detail = {}) {
  return tl::unexpected<Error>(Error{code, std::move(message), std::move(detail)});
}

// The same, about one field of the request.
inline tl::unexpected<Error> fail(ErrorCode code, Field field, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message), {}, field});
}

// `r`, with its error (if any) marked as being about `field`.
template <class T>
Result<T> in_field(Result<T> r, Field field) {
  if (!r) r.error().field = field;
  return r;
}

// Fails with `message` and drains OpenSSL's error queue into the detail.
tl::unexpected<Error> fail_openssl(ErrorCode code, std::string message);

// Drains OpenSSL's thread error queue into one line ("" when empty).
std::string drain_openssl_errors();

}  // namespace pki

#define PKI_CONCAT_INNER(a, b) a##b
#define PKI_CONCAT(a, b) PKI_CONCAT_INNER(a, b)

// PKI_TRY(expr): evaluates a Result; on error returns the error from the enclosing function.
#define PKI_TRY(expr)                                                                \
  do {                                                                               \
    auto&& pki_try_result_ = (expr);                                                 \
    if (!pki_try_result_) return tl::unexpected(std::move(pki_try_result_.error())); \
  } while (0)

// PKI_ASSIGN(decl, expr): `decl = *expr` when expr holds a value, otherwise returns its error.
#define PKI_ASSIGN(decl, expr) PKI_ASSIGN_IMPL(PKI_CONCAT(pki_assign_, __LINE__), decl, expr)
#define PKI_ASSIGN_IMPL(tmp, decl, expr)                   \
  auto tmp = (expr);                                       \
  if (!tmp) return tl::unexpected(std::move(tmp.error())); \
  decl = std::move(*tmp)
