// Writes hostile inputs for pki verify and inspect into DIR (tests/cli/test_hostile.sh):
//   root.pem             the trust anchor ("CN=Hostile Root", P-256)
//   mesh-leaf.pem, mesh-pool.pem
//                        50 CA keys under one name, each certified by 5 others of them, none
//                        by the root: loops and many candidates of the same name, no path
//   nc-int.pem, nc-leaf.pem
//                        an intermediate with 3,000 permitted DNS subtrees and a leaf with 5,000
//                        DNS names (15 million comparisons)
//   policy-chain.pem, policy-leaf.pem
//                        5 intermediates, each with 50 policies and every one mapped to every
//                        other (2,500 mappings): the RFC 5280 policy tree's exponential case
//   nested.der           a "certificate" of 100,000 nested SEQUENCEs
//   names-leaf.pem       a leaf whose DNS name holds a NUL ("a\0.hostile.test"), whose CN holds
//                        terminal escapes, and with punycode names ("xn--bcher-kva", a bare "xn--")
//   crl-leaf.pem, big.crl
//                        a leaf of the root and the root's CRL of 1,000,000 other serials
// Usage: make_hostile DIR
#include <openssl/x509.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "pki/cert/builder.h"
#include "pki/cert/name.h"
#include "pki/core/der.h"
#include "pki/core/io.h"
#include "pki/core/time.h"
#include "pki/crl/crl_builder.h"
#include "pki/keys/keys.h"

using namespace pki;

namespace {

template <class T>
T must(Result<T> r) {
  if (!r) {
    std::fprintf(stderr, "make_hostile: %s\n", r.error().message.c_str());
    std::exit(1);
  }
  return std::move(*r);
}

struct Key {
  cert::Signer signer;
  Bytes spki, ski;
};

Key new_key() {
  auto k = must(keys::generate(keys::KeyType::kEcP256));
  Bytes spki = must(keys::spki_der(*k));
  Bytes ski = must(cert::key_identifier(spki));
  return {must(cert::Signer::create(std::move(k))), std::move(spki), std::move(ski)};
}

Bytes dn(const std::string& text) { return must(cert::name_der(*must(cert::parse_dn(text)))); }

std::uint64_t next_serial = 1000;
const TimePoint kNow = *parse_rfc3339("2026-01-01T00:00:00Z");

// A certificate of `subject` with `subject_key`, signed by `issuer_key` as `issuer`.
Bytes make(const Bytes& subject, const Key& subject_key, const Bytes& issuer, const Key& issuer_key, bool ca,
           std::vector<cert::Extension> extra = {}) {
  cert::TbsCertificate t;
  for (int i = 7; i >= 0; --i) t.serial.push_back(static_cast<std::uint8_t>(next_serial >> (8 * i)));
  ++next_serial;
  t.subject = subject;
  t.issuer = issuer;
  t.not_before = kNow;
  t.not_after = kNow + std::chrono::days{3650};
  t.spki = subject_key.spki;
  t.extensions = {cert::ext::basic_constraints(ca, std::nullopt),
                  cert::ext::key_usage(ca ? cert::key_usage::kKeyCertSign | cert::key_usage::kCrlSign
                                          : cert::key_usage::kDigitalSignature),
                  cert::ext::subject_key_id(subject_key.ski), cert::ext::authority_key_id(issuer_key.ski)};
  for (auto& e : extra) t.extensions.push_back(std::move(e));
  return must(cert::sign_certificate(t, issuer_key.signer));
}

void write(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}
std::string pem(const std::vector<Bytes>& certs) {
  std::string out;
  for (const auto& c : certs) out += to_pem("CERTIFICATE", c);
  return out;
}

// 1.3.6.1.4.1.55555.1.N as DER.
Bytes policy_oid(int n) { return must(der::parse_oid("1.3.6.1.4.1.55555.1." + std::to_string(n))); }

cert::Extension raw_extension(der::ConstOid oid, BytesView value) {
  return cert::Extension{oid, false, Bytes(value.begin(), value.end())};
}

Bytes sequence_of(const std::vector<Bytes>& items) {
  Bytes content;
  for (const auto& i : items) content.insert(content.end(), i.begin(), i.end());
  return der::tlv(der::tag::kSequence, content);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_hostile DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  std::mt19937 rng(12345);
  const Key root = new_key();
  const Bytes root_dn = dn("CN=Hostile Root");
  const Bytes root_cert = make(root_dn, root, root_dn, root, true);
  write(dir + "/root.pem", pem({root_cert}));

  // A mesh: 50 keys named alike, each certified by 5 others, none reaching the root.
  {
    const Bytes mesh_dn = dn("CN=Hostile Mesh");
    std::vector<Key> keys;
    for (int i = 0; i < 50; ++i) keys.push_back(new_key());
    std::vector<Bytes> pool;
    for (int j = 0; j < 50; ++j)
      for (int k = 0; k < 5; ++k) {
        int i = static_cast<int>(rng() % 50);
        if (i == j) i = (i + 1) % 50;
        pool.push_back(make(mesh_dn, keys[j], mesh_dn, keys[i], true));
      }
    const Key leaf = new_key();
    write(dir + "/mesh-pool.pem", pem(pool));
    write(dir + "/mesh-leaf.pem", pem({make(dn("CN=mesh.hostile.test"), leaf, mesh_dn, keys[0], false)}));
  }

  // Name constraints: 3,000 subtrees x 5,000 names.
  {
    std::vector<std::string> permitted;
    for (int i = 0; i < 3000; ++i) permitted.push_back("d" + std::to_string(i) + ".hostile.test");
    const Key in = new_key();
    const Bytes in_dn = dn("CN=Hostile NC");
    write(dir + "/nc-int.pem",
          pem({make(in_dn, in, root_dn, root, true, {cert::ext::name_constraints(permitted, {})})}));
    std::vector<cert::GeneralName> sans;
    for (int i = 0; i < 5000; ++i)
      sans.push_back({cert::GeneralNameType::kDns, "h" + std::to_string(i) + ".d2999.hostile.test", {}});
    const Key leaf = new_key();
    write(dir + "/nc-leaf.pem", pem({make(dn("CN=h0.d2999.hostile.test"), leaf, in_dn, in, false,
                                          {cert::ext::subject_alt_name(sans, false)})}));
  }

  // Policies: 5 intermediates, 50 policies each, every one mapped to every other.
  {
    std::vector<Bytes> infos, mappings;
    for (int i = 0; i < 50; ++i) infos.push_back(der::sequence({policy_oid(i)}));
    for (int i = 0; i < 50; ++i)
      for (int j = 0; j < 50; ++j)
        if (i != j) mappings.push_back(der::sequence({policy_oid(i), policy_oid(j)}));
    const Bytes policies = sequence_of(infos), maps = sequence_of(mappings);
    std::vector<Bytes> chain;
    Bytes issuer_dn = root_dn;
    const Key* issuer = &root;
    std::vector<Key> keys;
    keys.reserve(6);
    for (int n = 0; n < 5; ++n) {
      keys.push_back(new_key());
      const Bytes subject = dn("CN=Hostile Policy " + std::to_string(n));
      chain.push_back(make(subject, keys.back(), issuer_dn, *issuer, true,
                           {raw_extension("2.5.29.32", policies), raw_extension("2.5.29.33", maps)}));
      issuer_dn = subject;
      issuer = &keys.back();
    }
    keys.push_back(new_key());
    write(dir + "/policy-chain.pem", pem(chain));
    write(dir + "/policy-leaf.pem", pem({make(dn("CN=policy.hostile.test"), keys.back(), issuer_dn, *issuer,
                                              false, {raw_extension("2.5.29.32", policies)})}));
  }

  // 100,000 nested SEQUENCEs, each header with a four-octet length.
  {
    std::string nested;
    const int depth = 100000;
    for (int i = 0; i < depth; ++i) {
      const std::uint32_t len = static_cast<std::uint32_t>((depth - 1 - i) * 6);
      nested += std::string{'\x30',
                            '\x84',
                            static_cast<char>(len >> 24),
                            static_cast<char>(len >> 16),
                            static_cast<char>(len >> 8),
                            static_cast<char>(len)};
    }
    write(dir + "/nested.der", nested);
  }

  // Names: a NUL inside a DNS name, terminal escapes in the CN, punycode.
  {
    OsslPtr<X509_NAME> name(X509_NAME_new());
    const std::string cn = "\x1b[31mred\x1b[0m\x07 bell";
    X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(cn.data()), static_cast<int>(cn.size()),
                               -1, 0);
    const std::vector<cert::GeneralName> sans{
        {cert::GeneralNameType::kDns, std::string("a\0.hostile.test", 15), {}},
        {cert::GeneralNameType::kDns, "xn--bcher-kva.hostile.test", {}},
        {cert::GeneralNameType::kDns, "xn--.hostile.test", {}}};
    const Key leaf = new_key();
    write(dir + "/names-leaf.pem", pem({make(must(cert::name_der(*name)), leaf, root_dn, root, false,
                                             {cert::ext::subject_alt_name(sans, false)})}));
  }

  // The root's CRL of a million serials, and a leaf of the root not among them.
  {
    const Key leaf = new_key();
    write(dir + "/crl-leaf.pem", pem({make(dn("CN=crl.hostile.test"), leaf, root_dn, root, false)}));
    crl::CrlEncoder enc(root_dn, root.signer.algorithm(), kNow, kNow + std::chrono::days{30});
    enc.reserve(1'000'000);
    Bytes serial(16);
    for (int i = 0; i < 1'000'000; ++i) {
      for (auto& b : serial) b = static_cast<std::uint8_t>(rng());
      serial[0] = static_cast<std::uint8_t>(serial[0] & 0x7f) | 0x01;
      enc.add(serial, kNow, cert::CrlReason::kSuperseded, std::nullopt);
    }
    const cert::Extension exts[] = {cert::ext::authority_key_id(root.ski), crl::crl_number_extension(1)};
    const Bytes der = must(std::move(enc).sign(exts, root.signer));
    write(dir + "/big.crl", std::string(der.begin(), der.end()));
  }
  return 0;
}
