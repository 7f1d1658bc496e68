// Test helpers: a per-test temporary directory, a store in it, and a CA hierarchy made with libpki.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "pki/ca/authority.h"
#include "pki/cert/crl.h"
#include "pki/core/time.h"
#include "pki/store/sqlite_store.h"

namespace pki::test {

// OpenSSL's own parse of a CRL's DER (cert::Crl keeps none of the whole CRL): the independent judge.
inline OsslPtr<X509_CRL> openssl_crl(const cert::Crl& crl) {
  const unsigned char* p = crl.der().data();
  return OsslPtr<X509_CRL>(d2i_X509_CRL(nullptr, &p, static_cast<long>(crl.der().size())));
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pki-unit-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

template <class T>
T must(Result<T> r) {
  if (!r) FAIL("unexpected error: " << r.error().message << " [" << r.error().detail << "]");
  return std::move(*r);
}
inline void must(Result<void> r) {
  if (!r) FAIL("unexpected error: " << r.error().message << " [" << r.error().detail << "]");
}

inline TimePoint at(const char* rfc3339) { return parse_rfc3339(rfc3339).value(); }

// A store in a temporary directory with a fixed clock that tests may move.
struct Fixture {
  TempDir dir;
  std::unique_ptr<store::Store> store =
      must(store::open_sqlite(dir.file("pki.db"), store::OpenMode::kCreate));
  FixedClock clock{at("2026-01-01T00:00:00Z")};
  ca::Authority authority{*store, clock, nullptr, "tester"};

  ca::CaCreated root(const std::string& name = "root") {
    ca::CreateCaRequest r;
    r.name = name;
    r.subject = "CN=" + name + ", O=Test";
    return must(authority.create_ca(r));
  }
  ca::CaCreated intermediate(const std::string& name, const std::string& parent) {
    ca::CreateCaRequest r;
    r.name = name;
    r.subject = "CN=" + name + ", O=Test";
    r.parent = parent;
    return must(authority.create_ca(r));
  }
  // An IssueRequest with a freshly generated key.
  static ca::IssueRequest request(const std::string& profile, const std::string& cn) {
    ca::IssueRequest r;
    r.profile = profile;
    auto key = keys::generate(keys::KeyType::kEcP256).value();
    r.key = ca::SubjectKey{keys::spki_der(*key).value(), keys::KeyType::kEcP256};
    if (!cn.empty()) r.cn = cn;
    return r;
  }
};

}  // namespace pki::test
