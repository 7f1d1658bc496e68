#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "pki/core/der.h"
#include "pki/core/io.h"
#include "pki/core/time.h"
#include "support.h"

using namespace pki;
using namespace std::chrono;

TEST_CASE("durations: accepted forms") {
  struct {
    const char* text;
    long long seconds;
  } cases[] = {{"90d", 90 * 86400}, {"12h", 12 * 3600},           {"30m", 1800}, {"45s", 45},
               {"1w", 7 * 86400},   {"1d12h", 86400 + 12 * 3600}, {"0d", 0}};
  for (const auto& c : cases) {
    CAPTURE(c.text);
    CHECK(test::must(parse_duration(c.text)).count() == c.seconds);
  }
}

TEST_CASE("durations: refused forms") {
  for (const char* text :
       {"", "d", "90", "90x", "-1d", "1.5d", "1d 2h", "99999999999999999d", "9000000000s"}) {
    CAPTURE(text);
    auto r = parse_duration(text);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kBadInput);
  }
}

TEST_CASE("RFC 3339 times") {
  CHECK(format_rfc3339(test::must(parse_rfc3339("2026-11-29T12:34:56Z"))) == "2026-11-29T12:34:56Z");
  CHECK(format_rfc3339(test::must(parse_rfc3339("2026-11-29T13:34:56+01:00"))) == "2026-11-29T12:34:56Z");
  CHECK(format_rfc3339(test::must(parse_rfc3339("2026-11-29T12:34:56.789Z"))) == "2026-11-29T12:34:56Z");
  CHECK(format_rfc3339(test::must(parse_rfc3339("2024-02-29T00:00:00Z"))) == "2024-02-29T00:00:00Z");
  for (const char* bad :
       {"2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z", "2026-11-29T24:00:00Z", "2026-11-29T12:00:00",
        "yesterday", "2026-11-29T12:00:00+25:00", "2026-11-29T12:00:60Z", "2026-11-29", "", "2026-11-29T"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_rfc3339(bad));
  }
}

TEST_CASE("hex") {
  CHECK(to_hex(Bytes{0x00, 0xab, 0x10}) == "00ab10");
  CHECK(*from_hex("0A:bC") == Bytes{0x0a, 0xbc});
  CHECK(*from_hex("abc") == Bytes{0x0a, 0xbc});
  CHECK_FALSE(from_hex("xyz"));
  CHECK_FALSE(from_hex(""));
  CHECK_FALSE(from_hex(":"));
  // Into a buffer that is reused: it shrinks and grows to each value.
  Bytes buf;
  REQUIRE(from_hex_into("01:02:03:04", buf));
  CHECK(buf == Bytes{1, 2, 3, 4});
  REQUIRE(from_hex_into("f", buf));
  CHECK(buf == Bytes{0x0f});
  REQUIRE(from_hex_into("1:23", buf));
  CHECK(buf == Bytes{0x01, 0x23});
  CHECK_FALSE(from_hex_into("12g4", buf));
}

TEST_CASE("DER: integers, OIDs, times") {
  CHECK(der::integer(0) == Bytes{0x02, 0x01, 0x00});
  CHECK(der::integer(127) == Bytes{0x02, 0x01, 0x7f});
  CHECK(der::integer(128) == Bytes{0x02, 0x02, 0x00, 0x80});
  CHECK(der::integer(-1) == Bytes{0x02, 0x01, 0xff});
  CHECK(der::integer(-129) == Bytes{0x02, 0x02, 0xff, 0x7f});
  CHECK(der::unsigned_integer(Bytes{0x00, 0x00, 0x80}) == Bytes{0x02, 0x02, 0x00, 0x80});
  CHECK(der::unsigned_integer(Bytes{0x00, 0x01}) == Bytes{0x02, 0x01, 0x01});
  CHECK(der::oid("2.5.29.19") == Bytes{0x06, 0x03, 0x55, 0x1d, 0x13});
  CHECK(der::oid("1.2.840.113549.1.1.11") ==
        Bytes{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b});
  // RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  CHECK(der::time(test::at("2049-12-31T23:59:59Z"))[0] == der::tag::kUtcTime);
  CHECK(der::time(test::at("2050-01-01T00:00:00Z"))[0] == der::tag::kGeneralizedTime);
  const Bytes t = der::time(test::at("2026-11-29T01:02:03Z"));
  CHECK(std::string(t.begin() + 2, t.end()) == "261129010203Z");
  // Long lengths.
  Bytes big(300, 0x41);
  const Bytes enc = der::octet_string(big);
  CHECK(enc[1] == 0x82);
  CHECK(enc.size() == 304);
  BytesView in = enc;
  auto tlv = der::read(in);
  REQUIRE(tlv);
  CHECK(tlv->content.size() == 300);
  CHECK(in.empty());
}

TEST_CASE("DER reader refuses malformed lengths") {
  const Bytes truncated{0x04, 0x05, 0x01};
  const Bytes indefinite{0x30, 0x80, 0x00, 0x00};
  const Bytes non_minimal{0x04, 0x81, 0x01, 0x00};
  for (const Bytes& b : {truncated, indefinite, non_minimal}) {
    BytesView in = b;
    CHECK_FALSE(der::read(in));
  }
}

TEST_CASE("PEM: round trip, several blocks, malformed") {
  const Bytes der{1, 2, 3, 4, 5};
  const std::string pem =
      to_pem("CERTIFICATE", der) + "junk between\n" + to_pem("CERTIFICATE", Bytes(100, 7));
  auto blocks = test::must(pem_blocks(pem, "CERTIFICATE"));
  REQUIRE(blocks.size() == 2);
  CHECK(blocks[0] == der);
  CHECK(blocks[1] == Bytes(100, 7));
  CHECK_FALSE(pem_blocks("-----BEGIN CERTIFICATE-----\nAAAA\n", "CERTIFICATE"));
  CHECK_FALSE(pem_blocks("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", "CERTIFICATE"));
  auto none = parse_certificates("hello", "input");
  REQUIRE_FALSE(none);
  CHECK(none.error().code == ErrorCode::kBadInput);
}

TEST_CASE("atomic writes set the mode and can refuse to overwrite") {
  test::TempDir dir;
  const std::string path = dir.file("secret.key");
  test::must(write_file_atomic(path, "one", 0600, Overwrite::kRefuse));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto again = write_file_atomic(path, "two", 0600, Overwrite::kRefuse);
  REQUIRE_FALSE(again);
  CHECK(test::must(read_input(path)) == "one");
  test::must(write_file_atomic(path, "three", 0644));
  CHECK(test::must(read_input(path)) == "three");
}

TEST_CASE("staged files: nothing at the path until published, nothing left when not") {
  test::TempDir dir;
  const std::string path = dir.file("new.key");
  auto listing = [&] {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir.file("")))
      names.push_back(e.path().filename().string());
    return names;
  };
  {
    auto staged = test::must(StagedFile::stage(
        path, [](const Put& put) { return put("key"); }, 0600, Overwrite::kRefuse));
    CHECK(listing().empty());  // written, synced, but unnamed
  }
  CHECK(listing().empty());  // dropped unpublished: gone
  auto staged = test::must(StagedFile::stage(
      path, [](const Put& put) { return put("key"); }, 0600, Overwrite::kRefuse));
  test::must(write_file_atomic(path, "taken meanwhile", 0600));
  auto refused = staged.publish();
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kBadInput);
  CHECK(test::must(read_input(path)) == "taken meanwhile");
  CHECK(listing().size() == 1);

  // Replacing: the old file stays until the new one is renamed over it, and no temporary remains.
  auto replacing = test::must(StagedFile::stage(
      path, [](const Put& put) { return put("replaced"); }, 0644, Overwrite::kAllow));
  CHECK(test::must(read_input(path)) == "taken meanwhile");
  test::must(replacing.publish());
  CHECK(test::must(read_input(path)) == "replaced");
  CHECK(listing() == std::vector<std::string>{"new.key"});
}

TEST_CASE("staged files: a temporary file of a killed run is removed when pki next names one there") {
  test::TempDir dir;
  // A process id no process has: above the kernel's largest (pid_max is at most 2^22).
  const std::string dead = dir.file(".crl.pem.pki-tmp.9999999.0123456789abcdef");
  const std::string live = dir.file(".crl.pem.pki-tmp.1.0123456789abcdef");  // init is alive
  const std::string other = dir.file(".notes.pki-tmp.9999999.short");        // not our naming
  for (const auto& p : {dead, live, other}) std::ofstream(p) << "left";
  // A new file is written unnamed (O_TMPFILE, as on the file systems tests run on): the directory
  // is not read through for one.
  test::must(write_file_atomic(dir.file("new.pem"), "new", 0644, Overwrite::kRefuse));
  CHECK(std::filesystem::exists(dead));
  // Replacing a file names a temporary one, and the killed run's goes first.
  test::must(write_file_atomic(dir.file("crl.pem"), "crl", 0644));
  CHECK_FALSE(std::filesystem::exists(dead));
  CHECK(std::filesystem::exists(live));
  CHECK(std::filesystem::exists(other));
}

TEST_CASE("der: OIDs, checked at compile time or parsed at run time") {
  static_assert(der::valid_dotted_oid("2.5.29.19"));
  static_assert(der::valid_dotted_oid("1.3.6.1.4.1.11129.2.4.2"));
  static_assert(!der::valid_dotted_oid("2.5.x"));
  static_assert(!der::valid_dotted_oid("3.1"));   // the first arc is 0, 1 or 2
  static_assert(!der::valid_dotted_oid("1.40"));  // under 0 and 1, the second is below 40
  static_assert(!der::valid_dotted_oid("2"));
  static_assert(!der::valid_dotted_oid("2..5"));
  static_assert(!der::valid_dotted_oid("2.05"));
  CHECK(der::oid("2.5.29.19") == Bytes{0x06, 0x03, 0x55, 0x1d, 0x13});
  CHECK(test::must(der::parse_oid("1.2.840.113549.1.1.11")) ==
        Bytes{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b});
  CHECK(test::must(der::parse_oid("2.999.3")) == Bytes{0x06, 0x03, 0x88, 0x37, 0x03});
  for (const char* bad : {"", "1", "1.2.", ".1.2", "1.2.-3", "1.2.99999999999999999999999", "a.b"}) {
    CAPTURE(bad);
    auto r = der::parse_oid(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kBadInput);
  }
}

TEST_CASE("files: PEM made in pieces is the PEM made whole, and is what a file gets") {
  const std::size_t line = 48, chunk = 48 * 1024;
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, line - 1, line, line + 1, chunk - 1, chunk, chunk + 1,
                        3 * chunk + 17}) {
    CAPTURE(n);
    Bytes der(n);
    for (std::size_t i = 0; i < n; ++i) der[i] = static_cast<std::uint8_t>(i * 131 + 7);
    std::string pieces;
    int count = 0;
    REQUIRE(pem_producer("X509 CRL", der)([&](std::string_view p) -> Result<void> {
      pieces += p;
      ++count;
      return {};
    }));
    CHECK(pieces == to_pem("X509 CRL", der));
    CHECK(count == 2 + static_cast<int>((n + chunk - 1) / chunk));  // armour lines, then ~64 KiB pieces
    if (n == 3 * chunk + 17) {
      test::TempDir dir;
      const std::string path = dir.file("out.pem");
      REQUIRE(write_file_atomic(path, pem_producer("X509 CRL", der), 0644));
      CHECK(test::must(read_input(path)) == pieces);
      // A piece that fails stops the write: the file is left as it was.
      REQUIRE(write_file_atomic(path, "before", 0644));
      auto failed = write_file_atomic(
          path,
          [](const Put& put) -> Result<void> {
            PKI_TRY(put("partial"));
            return fail(ErrorCode::kStore, "the producer failed");
          },
          0644);
      CHECK_FALSE(failed);
      CHECK(test::must(read_input(path)) == "before");
      const auto files =
          std::distance(std::filesystem::directory_iterator(std::filesystem::path(path).parent_path()),
                        std::filesystem::directory_iterator());
      CHECK(files == 1);  // no temporary file left beside it
    }
  }
}
