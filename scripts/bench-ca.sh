# Sourced by scripts/bench.sh and scripts/bench-ocsp.sh: one CA both pki and its peer use.
#
# bench_ca LABEL: an EC P-256 root and intermediate made by openssl in the current directory
# (root.pem, root.key, int.pem, int.key; subjects "Bench LABEL Root/Int"), imported into pki as
# CAs `root` and `int` of a new store at $PKI_DB, with $pki the pki binary.

# pki warns on stderr that these CA keys are stored unencrypted: expected here, shown on failure only.
quiet_pki() { "$pki" "$@" >/dev/null 2>pki-setup.err || { cat pki-setup.err >&2; exit 1; }; }

bench_ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key \
    -subj "/CN=Bench $1 Root" -days 3650 -out root.pem 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout int.key \
    -subj "/CN=Bench $1 Int" -out int.csr 2>/dev/null
  cat >int.ext <<EXT
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EXT
  openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial -days 1825 -extfile int.ext \
    -out int.pem 2>/dev/null
  quiet_pki init
  quiet_pki ca import root --cert root.pem --key root.key
  quiet_pki ca import int --cert int.pem --key int.key --chain root.pem
}
