#include "pki/crl/crl_check.h"

#include <charconv>
#include <cstdio>

#include "pki/core/time.h"

namespace pki::crl {

namespace {

// A CRL number for people: decimal when it fits 64 bits, else hex.
std::string number_text(const std::string& hex) {
  unsigned long long n = 0;
  const auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), n, 16);
  if (hex.empty() || ec != std::errc() || end != hex.data() + hex.size()) return "0x" + hex;
  return std::to_string(n);
}

}  // namespace

Result<CheckReport> check_published(store::Store& store, const store::AuthorityRecord& authority,
                                    int generation, const cert::Certificate& ca, const cert::Crl& crl,
                                    TimePoint now, std::chrono::seconds min_remaining) {
  CheckReport r;
  auto add = [&](std::string check, bool ok, std::string message) {
    r.items.push_back({std::move(check), ok, std::move(message)});
  };

  const bool same_issuer = X509_NAME_cmp(&crl.issuer(), &ca.subject()) == 0;
  add("issuer", same_issuer,
      same_issuer ? "issued by " + ca.subject_text()
                  : "issued by " + crl.issuer_text() + ", not by CA '" + authority.name + "'");

  const EVP_PKEY* key = ca.public_key();
  const bool signed_ok = key && crl.signature_verifies(*key);
  drain_openssl_errors();
  add("signature", signed_ok,
      signed_ok ? "signed with the key of CA '" + authority.name + "'"
                : "the signature does not verify with the key of CA '" + authority.name + "'");

  // A delta CRL is compared with the newest delta, a complete CRL with the newest complete one.
  const bool delta = crl.is_delta();
  const std::string kind = delta ? "delta CRL" : "CRL";
  const auto latest_crl = store.latest_crl(authority.id, generation, delta, store::Store::CrlPart::kMetadata);
  if (!latest_crl) return tl::unexpected(latest_crl.error());
  const std::optional<std::int64_t> latest =
      *latest_crl ? std::optional<std::int64_t>((*latest_crl)->crl_number) : std::nullopt;
  if (!crl.crl_number()) {
    add("crl-number", false, "the CRL has no CRL number");
  } else if (!latest) {
    add("crl-number", false, "CA '" + authority.name + "' has no " + kind + " in the store");
  } else {
    char hex[32];
    std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(*latest));
    const int cmp = cert::compare_hex_numbers(*crl.crl_number(), hex);
    const std::string have = "#" + number_text(*crl.crl_number());
    if (cmp == 0)
      add("crl-number", true, have + ", the newest " + kind + " CA '" + authority.name + "' issued");
    else if (cmp < 0)
      add("crl-number", false,
          have + " is not the newest: CA '" + authority.name + "' issued " + kind + " #" +
              std::to_string(*latest) + " since (publish that one)");
    else
      add("crl-number", false, have + " was never issued by CA '" + authority.name + "' in this store");
  }
  if (delta) {
    // A delta is of use only with the complete CRL it updates (RFC 5280 5.2.4): the newest one.
    const auto complete = store.latest_crl(authority.id, generation, false, store::Store::CrlPart::kMetadata);
    if (!complete) return tl::unexpected(complete.error());
    if (!*complete) {
      add("delta-base", false, "CA '" + authority.name + "' has no complete CRL for this delta to update");
    } else {
      char hex[32];
      std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>((*complete)->crl_number));
      const bool current = cert::compare_hex_numbers(*crl.delta_base(), hex) == 0;
      add("delta-base", current,
          current ? "updates complete CRL #" + std::to_string((*complete)->crl_number) + ", the newest"
                  : "updates complete CRL #" + number_text(*crl.delta_base()) + ", but the newest is #" +
                        std::to_string((*complete)->crl_number) + ": publish a new delta");
    }
  }

  const bool started = crl.this_update() <= now;
  add("this-update", started,
      started ? "current since " + format_rfc3339(crl.this_update())
              : "not current until " + format_rfc3339(crl.this_update()) + " (a clock ahead?)");

  if (!crl.next_update()) {
    add("next-update", false, "the CRL has no nextUpdate");
  } else {
    const auto left = *crl.next_update() - now;
    const bool enough = left >= min_remaining;
    add("next-update", enough,
        left < std::chrono::seconds{0}
            ? "expired on " + format_rfc3339(*crl.next_update()) + ": clients cannot check revocation"
        : enough ? "next update " + format_rfc3339(*crl.next_update()) + ", in " + format_duration(left)
                 : "next update " + format_rfc3339(*crl.next_update()) + " is in " + format_duration(left) +
                       ", less than " + format_duration(min_remaining) + ": republish now");
  }
  r.ok = true;
  for (const auto& i : r.items) r.ok = r.ok && i.ok;
  return r;
}

}  // namespace pki::crl
