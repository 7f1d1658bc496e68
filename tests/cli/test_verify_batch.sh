#!/usr/bin/env bash
# Batch verification: `pki verify CERT...` with one verifier for all targets agrees with one
# `pki verify` per target, on every NIST PKITS run. Runs with the same trust anchor and initial
# policy settings are verified together, with the union of their intermediates and CRLs; each
# target is then verified alone with the same inputs, and the two reports must be the same
# (validity, failure codes, the chain); so must the answers when the group's targets are repeated to
# 64 or more, which are read and verified on every core. Also: exit codes, text and JSON shapes.
source "$(dirname "$0")/lib.sh"
pkits="$(cd "$(dirname "$0")/../data/pkits" && pwd)"

jq -c '[.[] | select(.missing_files | length == 0)]
       | group_by([.trust_anchor, .initial_policy_set, .initial_explicit_policy,
                   .initial_policy_mapping_inhibit, .initial_inhibit_any_policy])[]' \
  "$pkits/pkits_tests.json" >groups.jsonl
groups=0 targets=0 agreed=0 valid_seen=0 invalid_seen=0
shape='{outcome, failures, chain: [.chain[] | .fingerprint_sha256]}'
while read -r group; do
  groups=$((groups + 1))
  # The group's inputs as options, and its targets (one in several runs verified once), in one jq.
  mapfile -t lines < <(jq -r '
    def oid: if . == "anyPolicy" then "2.5.29.32.0"
             elif startswith("NIST-test-policy-") then "2.16.840.1.101.3.2.1.48." + ltrimstr("NIST-test-policy-")
             else . end;
    (["--trust", "certs/\(.[0].trust_anchor).crt"]
     + ([.[].intermediates[]] | unique | map(["--untrusted", "certs/\(.).crt"]) | add // [])
     + ([.[].crls[]] | unique | map(["--crl", "crls/\(.).crl"]) | add // [])
     + (.[0].initial_policy_set | split(",") | map(select(. != "")) | map(["--policy", oid]) | add // [])
     + (if .[0].initial_explicit_policy then ["--explicit-policy"] else [] end)
     + (if .[0].initial_policy_mapping_inhibit then ["--inhibit-policy-mapping"] else [] end)
     + (if .[0].initial_inhibit_any_policy then ["--inhibit-any-policy"] else [] end)
     | map(if startswith("certs/") or startswith("crls/") then "PKITS/" + . else . end) | join(" ")),
    ([.[].end_entity] | unique[])' <<<"$group")
  args=(--at 2011-04-15T00:00:00Z --legacy-algorithms)
  for a in ${lines[0]}; do args+=("${a/#PKITS/$pkits}"); done
  ees=("${lines[@]:1}")
  # A group of one target verifies it twice: the second answer comes from the verifier's caches.
  [ "${#ees[@]}" -eq 1 ] && ees+=("${ees[0]}")
  files=()
  for n in "${ees[@]}"; do files+=("$pkits/certs/$n.crt"); done

  run --json verify "${args[@]}" "${files[@]}"
  cp "$TMP/out" batch.json
  mapfile -t together < <(jq -c ".results[] | $shape" batch.json)
  mapfile -t named < <(jq -r '.results[].file' batch.json)
  summary=$(jq -c '[.targets, (.outcome == "valid") == ([.results[].outcome == "valid"] | all), ([.results[].outcome == "valid"] | all)]' batch.json)
  want=1
  [ "${summary##*,}" = "true]" ] && want=0
  if [ "$rc" -eq "$want" ] && [ "$summary" = "[${#files[@]},true,${summary##*,}" ] &&
    [ "${#together[@]}" -eq "${#files[@]}" ]; then ok; else
    bad "group $groups: exit $rc, $summary for ${#files[@]} targets"
  fi
  # The same targets repeated to 64 or more are read and verified on every core (a Verifier per
  # thread, sharing what they checked of the CAs and CRLs): every answer is the batch's.
  big=()
  while [ "${#big[@]}" -lt 64 ]; do big+=("${files[@]}"); done
  run --json verify "${args[@]}" "${big[@]}"
  mapfile -t wide < <(jq -c ".results[] | $shape" "$TMP/out")
  same=$([ "${#wide[@]}" -eq "${#big[@]}" ] && echo 1 || echo 0)
  for i in "${!wide[@]}"; do [ "${wide[$i]}" = "${together[$((i % ${#files[@]}))]:-}" ] || same=0; done
  [ "$same" = 1 ] && ok || bad "group $groups: ${#big[@]} targets on every core differ from the batch of ${#files[@]}"
  for i in "${!files[@]}"; do
    targets=$((targets + 1))
    run --json verify "${args[@]}" "${files[$i]}"
    alone=$(jq -c "$shape" "$TMP/out")
    if [ "$alone" = "${together[$i]:-}" ] && [ "${named[$i]:-}" = "${files[$i]}" ]; then
      ok
      agreed=$((agreed + 1))
    else
      bad "${ees[$i]}: alone $alone, in the batch ${together[$i]:-nothing}"
    fi
    if [[ $alone == '{"outcome":"valid"'* ]]; then
      valid_seen=$((valid_seen + 1))
      [ "$rc" -eq 0 ] && ok || bad "${ees[$i]}: valid alone but exit $rc"
    else
      invalid_seen=$((invalid_seen + 1))
      [ "$rc" -eq 1 ] && ok || bad "${ees[$i]}: invalid alone but exit $rc"
    fi
  done
done <groups.jsonl
echo "PKITS: $targets targets in $groups batches, $agreed agree ($valid_seen valid, $invalid_seen invalid)"
[ "$targets" -ge 200 ] && [ "$valid_seen" -gt 50 ] && [ "$invalid_seen" -gt 50 ] && ok ||
  bad "the suite was not all there ($targets targets)"

# Text: one line per target and a count; a failure is named on stderr; exit 1.
a="$pkits/certs/TrustAnchorRootCertificate.crt"
good="$pkits/certs/ValidCertificatePathTest1EE.crt"
badsig="$pkits/certs/InvalidEESignatureTest3EE.crt"
run verify --at 2011-04-15T00:00:00Z --trust "$a" --untrusted "$pkits/certs/GoodCACert.crt" \
  --crl "$pkits/crls/GoodCACRL.crl" --crl "$pkits/crls/TrustAnchorRootCRL.crl" "$good" "$badsig" "$good"
[ "$rc" -eq 1 ] && ok || bad "one invalid of three: exit $rc"
[ "$(grep -c ": VALID: " "$TMP/out")" -eq 2 ] && ok || bad "two VALID lines: $(cat "$TMP/out")"
grep -q "^$badsig: INVALID: bad-signature" "$TMP/out" && ok || bad "the bad signature named: $(cat "$TMP/out")"
contains "$TMP/out" "^2 of 3 valid$" && ok || bad "the count"
grep -q "^pki: verify: INVALID: 1 of 3 certificates$" "$TMP/err" && ok || bad "stderr: $(cat "$TMP/err")"
expect 0 "all valid" -- verify --at 2011-04-15T00:00:00Z --trust "$a" --untrusted "$pkits/certs/GoodCACert.crt" \
  --crl "$pkits/crls/GoodCACRL.crl" --crl "$pkits/crls/TrustAnchorRootCRL.crl" "$good" "$good"
# A repeatable option takes one value: the certificate after --trust is a target, not an anchor.
expect 1 "--trust takes one file" -- verify --at 2011-04-15T00:00:00Z --trust "$a" "$good"
contains "$TMP/out" "missing-crl\|unknown-issuer" && ok || bad "verified $good as a target: $(tail -1 "$TMP/out")"
# One target keeps the one-report shape.
run --json verify --at 2011-04-15T00:00:00Z --trust "$a" --untrusted "$pkits/certs/GoodCACert.crt" \
  --crl "$pkits/crls/GoodCACRL.crl" --crl "$pkits/crls/TrustAnchorRootCRL.crl" "$good"
[ "$(jq -r '.outcome == "valid", (.chain | length), has("results")' "$TMP/out" | tr '\n' ' ')" = "true 3 false " ] && ok ||
  bad "one target's JSON"
# A file that is not a certificate stops the run before any verification: exit 2.
echo junk >junk.pem
run verify --trust "$a" "$good" junk.pem
[ "$rc" -eq 2 ] && [ ! -s "$TMP/out" ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && ok ||
  bad "a bad target file: exit $rc, $(cat "$TMP/err")"
# Many targets are read on every core: a bad file among 100 still stops the run, named, exit 2.
many=()
for i in $(seq 1 100); do many+=("$good"); done
many[60]=junk.pem
run verify --at 2011-04-15T00:00:00Z --trust "$a" --untrusted "$pkits/certs/GoodCACert.crt" \
  --crl "$pkits/crls/GoodCACRL.crl" --crl "$pkits/crls/TrustAnchorRootCRL.crl" "${many[@]}"
[ "$rc" -eq 2 ] && [ ! -s "$TMP/out" ] && grep -q "junk.pem" "$TMP/err" && ok ||
  bad "a bad file among 100 targets: exit $rc, $(cat "$TMP/err")"
many[60]=$good
run verify --at 2011-04-15T00:00:00Z --trust "$a" --untrusted "$pkits/certs/GoodCACert.crt" \
  --crl "$pkits/crls/GoodCACRL.crl" --crl "$pkits/crls/TrustAnchorRootCRL.crl" "${many[@]}" "$badsig"
[ "$rc" -eq 1 ] && contains "$TMP/out" "^100 of 101 valid$" && grep -q "^$badsig: INVALID" "$TMP/out" && ok ||
  bad "101 targets read on every core: exit $rc, $(tail -2 "$TMP/out")"
finish
