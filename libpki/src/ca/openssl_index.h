// Reading what an `openssl ca` (or easy-rsa) CA issued and revoked: its index.txt, the certificate
// files kept beside it, and its crlnumber file. Read whole and checked before anything is stored.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pki/cert/certificate.h"
#include "pki/core/error.h"
#include "pki/store/store.h"

namespace pki::ca {

struct IndexEntry {
  std::size_t line = 0;             // in index.txt, for messages
  store::CertificateRecord record;  // issuer left for the caller; a revocation when revoked
};

struct ImportedIndex {
  std::vector<IndexEntry> entries;
  std::size_t without_file = 0;  // lines whose certificate file was not found
  std::size_t revoked = 0;
  std::int64_t crl_number_floor = 0;  // the last CRL number the CA used (crlnumber - 1)
  std::vector<std::string> warnings;
};

// `ca` is the CA certificate the entries were issued by: a certificate file found must carry the
// line's serial and verify with the CA's key. kBadInput naming the file and line on any malformed
// line or mismatching file.
Result<ImportedIndex> read_openssl_index(const std::string& index_path,
                                         const std::optional<std::string>& certs_dir,
                                         const std::optional<std::string>& crl_number_file,
                                         const cert::Certificate& ca);

}  // namespace pki::ca
