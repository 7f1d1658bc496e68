#!/usr/bin/env bash
# The command line's own knowledge of itself: typos named with the nearest verb or option, pki help
# VERB, completion scripts run in real bash, zsh and fish (verbs, options, CA and profile names from
# the store, files), and the man page, all generated from the same option definitions.
source "$(dirname "$0")/lib.sh"

"$PKI" init >/dev/null
"$PKI" ca create root --subject "CN=Completion Root" >/dev/null 2>&1
"$PKI" ca create issuing --parent root --subject "CN=Completion Issuing" >/dev/null 2>&1

# Typos.
expect 2 "an unknown verb" -- isue --ca root
check "named, with the nearest" -- test "$(cat "$TMP/err")" = "pki: unknown command 'isue'; did you mean 'issue'?"
expect 2 "an unknown sub-verb" -- ca crete x
check "named, with the nearest" -- contains "$TMP/err" "unknown command 'crete' for 'pki ca'; did you mean 'create'?"
expect 2 "an unknown option" -- issue --ca root --profile server --dyas 3
check "named, with the nearest" -- contains "$TMP/err" "unknown option '--dyas' for 'pki issue'; did you mean '--days'?"
expect 2 "nothing near" -- zzzzzz
check "no suggestion then" -- test "$(cat "$TMP/err")" = "pki: unknown command 'zzzzzz'"
expect 2 "a missing value" -- issue --profile server --ca
check "names its option, in our words" -- test "$(cat "$TMP/err")" = "pki: --ca needs a value (see pki help issue)"
expect 2 "a value that is another option" -- issue --ca --profile server
check "names its option" -- contains "$TMP/err" "--ca needs a value"
expect 2 "no verb" --
check "says so" -- test "$(cat "$TMP/err")" = "pki: no verb given (see pki help)"

# pki help VERB.
expect 0 "pki help issue" -- help issue
check "the verb's usage and options" -- sh -c "grep -q 'Usage: pki issue' '$TMP/out' && grep -q -- '--valid-for' '$TMP/out'"
expect 0 "pki help ca create" -- help ca create
check "the sub-verb's" -- sh -c "grep -q 'Usage: pki ca create' '$TMP/out' && grep -q -- '--permit-dns' '$TMP/out'"
expect 2 "pki help for a typo" -- help isue
check "suggests" -- contains "$TMP/err" "did you mean 'issue'?"
expect 0 "pki help" -- help
check "lists the verbs" -- sh -c "grep -q 'profile' '$TMP/out' && grep -q 'completion' '$TMP/out'"

# bash: the script run as bash runs it, COMP_WORDS as the line typed.
"$PKI" completion bash >pki.bash
bash_complete() {
  PATH="$(dirname "$PKI"):$PATH" bash -c 'source ./pki.bash; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _pki; printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}
export PKI
check "bash: verbs" -- sh -c "$(declare -f bash_complete); bash_complete pki iss | grep -qx issue"
check "bash: sub-verbs" -- sh -c "$(declare -f bash_complete); bash_complete pki ca cr | grep -qx create"
check "bash: a verb's options" -- sh -c "$(declare -f bash_complete); bash_complete pki issue --valid | grep -qx -- --valid-for"
check "bash: global options anywhere" -- sh -c "$(declare -f bash_complete); bash_complete pki issue --js | grep -qx -- --json"
check "bash: CA names from the store" -- sh -c "$(declare -f bash_complete); [ \"\$(bash_complete pki --db '$PKI_DB' issue --ca '' | sort | tr '\n' ' ')\" = 'issuing root ' ]"
check "bash: profile names after --profile" -- sh -c "$(declare -f bash_complete); bash_complete pki --db '$PKI_DB' issue --ca root --profile server- | grep -qx server-client"
check "bash: profile names as an argument" -- sh -c "$(declare -f bash_complete); [ \"\$(bash_complete pki --db '$PKI_DB' profile show roo)\" = root-ca ]"
check "bash: CA names as an argument" -- sh -c "$(declare -f bash_complete); [ \"\$(bash_complete pki --db '$PKI_DB' ca show iss)\" = issuing ]"
check "bash: PKI_DB is the store without --db" -- sh -c "$(declare -f bash_complete); PKI_DB='$PKI_DB' bash_complete pki renew --ca is | grep -qx issuing"
check "bash: files after --out" -- sh -c "$(declare -f bash_complete); bash_complete pki issue --out pki.b | grep -qx pki.bash"
check "bash: nothing offered for a value to type" -- sh -c "$(declare -f bash_complete); [ -z \"\$(bash_complete pki issue --days '')\" ]"
db_sql "INSERT INTO profile_versions VALUES ('x\$(touch pwned)', 1, '{}', '2026-01-01T00:00:00Z'); INSERT INTO profiles VALUES ('x\$(touch pwned)', 1)"
check "bash: a name edited into the store is never run" -- sh -c "$(declare -f bash_complete); bash_complete pki --db '$PKI_DB' issue --profile x >/dev/null; [ ! -e pwned ]"
check "bash: without a store, names are just empty" -- sh -c "$(declare -f bash_complete); [ -z \"\$(bash_complete pki --db '$TMP/none.db' issue --ca '')\" ] && [ ! -e '$TMP/none.db' ]"

# zsh: bash's script through bashcompinit registers _pki for pki.
"$PKI" completion zsh >pki.zsh
check "zsh: the script parses" -- zsh -n pki.zsh
check "zsh: it registers the completion" -- zsh -fc "autoload -U compinit && compinit -u -D && source ./pki.zsh && [[ \${_comps[pki]} == _bash_complete* ]]"

# fish: complete -C asks fish what it would offer.
"$PKI" completion fish >pki.fish
check "fish: the script parses" -- fish -n pki.fish
fish_complete() { PATH="$(dirname "$PKI"):$PATH" fish -c "source pki.fish; complete -C '$1'" | cut -f1; }
check "fish: verbs" -- sh -c "$(declare -f fish_complete); PKI='$PKI' fish_complete 'pki iss' | grep -qx issue"
check "fish: sub-verbs" -- sh -c "$(declare -f fish_complete); PKI='$PKI' fish_complete 'pki ca cr' | grep -qx create"
check "fish: a verb's options" -- sh -c "$(declare -f fish_complete); PKI='$PKI' fish_complete 'pki issue --valid' | grep -qx -- --valid-for"
check "fish: profile names from the store" -- sh -c "$(declare -f fish_complete); PKI='$PKI' fish_complete 'pki --db \"$PKI_DB\" issue --profile serv' | grep -qx server-client"
check "fish: CA names" -- sh -c "$(declare -f fish_complete); PKI='$PKI' fish_complete 'pki --db \"$PKI_DB\" ca show ro' | grep -qx root"

# The man page: generated from the same definitions, every verb in it.
"$PKI" manpage >pki.1
check "man renders it" -- sh -c "MANWIDTH=100 man -l pki.1 >man.txt 2>man.err && grep -q 'pki issue' man.txt"
check "without warnings from the formatter" -- test ! -s man.err
verbs=$(bash -c 'source ./pki.bash; _pki_subs ""')
check "the verbs the man page is checked for" -- test "$(echo "$verbs" | wc -w)" -ge 20
for verb in $verbs; do
  check "man: verb $verb" -- grep -q "^   pki $verb\$" man.txt
done
for sub in $(bash -c 'source ./pki.bash; _pki_subs /profile'); do
  check "man: profile $sub" -- grep -q "^   pki profile $sub\$" man.txt
done
check "man: options with their descriptions" -- sh -c "grep -q -- '--fullchain-out' man.txt && grep -q 'EXIT STATUS' man.txt"
check "the build's pki.1 (installed by cmake --install) is this one" -- cmp pki.1 "$(dirname "$PKI")/pki.1"

finish
