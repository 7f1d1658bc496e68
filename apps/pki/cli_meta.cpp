// What the command line knows of itself, all read from the option definitions the verbs register:
// `pki help VERB`, the nearest name to a typo, completion scripts (bash, zsh, fish) and the man page.
#include <algorithm>
#include <iostream>
#include <sstream>

#include "context.h"
#include "pki/core/io.h"

namespace pki::app {

namespace {

// The subcommands a user can type (CLI11 option groups have no name).
std::vector<const CLI::App*> verbs_of(const CLI::App& app) {
  auto subs = app.get_subcommands([](const CLI::App* s) { return !s->get_name().empty(); });
  std::vector<const CLI::App*> out(subs.begin(), subs.end());
  out.erase(std::remove_if(out.begin(), out.end(), [](const CLI::App* s) { return s->get_group().empty(); }),
            out.end());
  return out;
}

const CLI::App* verb_named(const CLI::App& app, std::string_view name) {
  for (const CLI::App* s : verbs_of(app))
    if (s->get_name() == name) return s;
  return nullptr;
}

std::vector<const CLI::Option*> options_of(const CLI::App& app) {
  return app.get_options([](const CLI::Option* o) { return !o->get_group().empty(); });
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// The nearest candidate when it is close enough to be what was meant: a few edits (a third of the
// word), or the word a prefix of exactly one candidate.
std::string nearest(std::string_view typed, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(1, typed.size() / 3) + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(typed, c);
    const bool same_start = !typed.empty() && !c.empty() && c[0] == typed[0];
    if (d < best_distance || (d == best_distance && !best.empty() && same_start && best[0] != typed[0])) {
      best_distance = d;
      best = c;
    }
  }
  if (!best.empty() || typed.size() < 2) return best;
  std::vector<std::string> prefixed;
  for (const auto& c : candidates)
    if (c.starts_with(typed)) prefixed.push_back(c);
  return prefixed.size() == 1 ? prefixed.front() : std::string();
}

std::string did_you_mean(const std::string& suggestion) {
  return suggestion.empty() ? std::string() : "; did you mean '" + suggestion + "'?";
}

// The option `--name` (or `-n`) of `app` or of the verbs above it (options fall through).
const CLI::Option* find_option(const std::vector<const CLI::App*>& chain, const std::string& name) {
  for (auto it = chain.rbegin(); it != chain.rend(); ++it)
    for (const CLI::Option* o : options_of(**it))
      if (!o->get_positional() && o->check_name(name)) return o;
  return nullptr;
}

std::vector<std::string> long_names(const std::vector<const CLI::App*>& chain) {
  std::vector<std::string> out;
  for (const CLI::App* a : chain)
    for (const CLI::Option* o : options_of(*a))
      for (const auto& l : o->get_lnames()) out.push_back("--" + l);
  return out;
}

std::string path_of(const std::vector<const CLI::App*>& chain) {
  std::string out = "pki";
  for (std::size_t i = 1; i < chain.size(); ++i) out += " " + chain[i]->get_name();
  return out;
}

// What kind of value an option or a positional takes, for completion: a CA's name, a profile's, a
// file, or something to type.
enum class ValueKind { kNone, kCa, kProfile, kFile, kWord };

ValueKind value_kind(const std::vector<const CLI::App*>& chain, const CLI::Option& o) {
  if (o.get_type_size() == 0) return ValueKind::kNone;
  const std::string name = o.get_positional()       ? o.get_name(true)
                           : o.get_lnames().empty() ? ""
                                                    : o.get_lnames()[0];
  const std::string parent = chain.size() > 1 ? chain[1]->get_name() : "";
  if (name == "ca" || name == "parent" || (name == "name" && parent == "ca")) return ValueKind::kCa;
  if (name == "profile" || (name == "name" && parent == "profile")) return ValueKind::kProfile;
  static const char* kWords[] = {"serial",
                                 "cn",
                                 "subject",
                                 "san",
                                 "days",
                                 "valid-for",
                                 "not-after",
                                 "now",
                                 "key-type",
                                 "format",
                                 "reason",
                                 "since",
                                 "head",
                                 "path-len",
                                 "permit-dns",
                                 "exclude-dns",
                                 "crl-url",
                                 "ocsp-url",
                                 "ca-issuers-url",
                                 "delta-crl-url",
                                 "validity",
                                 "next-update",
                                 "version",
                                 "generation",
                                 "max-depth",
                                 "host",
                                 "port",
                                 "listen",
                                 "purpose",
                                 "clear",
                                 "invalidity-date",
                                 "crl-number",
                                 "name",
                                 "verb",
                                 "shell",
                                 "names"};
  for (const char* w : kWords)
    if (name == w) return ValueKind::kWord;
  return ValueKind::kFile;
}

// Every verb path below `app` ("", "ca", "ca create", ...), depth first, with its chain.
void walk(const CLI::App& app, std::vector<const CLI::App*>& chain,
          const std::function<void(const std::vector<const CLI::App*>&)>& visit) {
  chain.push_back(&app);
  visit(chain);
  for (const CLI::App* s : verbs_of(app)) walk(*s, chain, visit);
  chain.pop_back();
}

std::string key_of(const std::vector<const CLI::App*>& chain) {
  std::string out;
  for (std::size_t i = 1; i < chain.size(); ++i) out += "/" + chain[i]->get_name();
  return out;
}

std::string join_names(const std::vector<const CLI::App*>& subs) {
  std::string out;
  for (const CLI::App* s : subs) out += (out.empty() ? "" : " ") + s->get_name();
  return out;
}

std::string kind_word(ValueKind k) {
  switch (k) {
    case ValueKind::kCa:
      return "ca";
    case ValueKind::kProfile:
      return "profile";
    case ValueKind::kFile:
      return "file";
    case ValueKind::kWord:
      return "word";
    case ValueKind::kNone:
      break;
  }
  return "";
}

// bash (and zsh through bashcompinit): tables of verbs and options per verb path, and one function
// that finds the path typed so far.
std::string bash_script(const CLI::App& app) {
  std::ostringstream subs, opts, kinds, positional;
  std::vector<const CLI::App*> chain;
  walk(app, chain, [&](const std::vector<const CLI::App*>& c) {
    const std::string key = key_of(c);
    if (auto v = verbs_of(*c.back()); !v.empty())
      subs << "    \"" << key << "\") echo \"" << join_names(v) << "\" ;;\n";
    std::string names;
    for (const CLI::Option* o : options_of(*c.back())) {
      if (o->get_positional()) {
        if (auto k = value_kind(c, *o);
            k == ValueKind::kCa || k == ValueKind::kProfile || k == ValueKind::kFile)
          positional << "    \"" << key << "\") echo " << kind_word(k) << " ;;\n";
        continue;
      }
      for (const auto& l : o->get_lnames()) {
        names += (names.empty() ? "" : " ") + ("--" + l);
        if (auto k = value_kind(c, *o); k != ValueKind::kNone)
          kinds << "    \"" << key << " --" << l << "\") echo " << kind_word(k) << " ;;\n";
      }
    }
    opts << "    \"" << key << "\") echo \"" << names << "\" ;;\n";
  });
  std::ostringstream s;
  s << "# bash completion for pki: `source <(pki completion bash)`, or save it as\n"
       "# /usr/share/bash-completion/completions/pki. Generated from pki's option definitions.\n"
       "_pki_subs() {\n  case \"$1\" in\n"
    << subs.str() << "  esac\n}\n_pki_opts() {\n  case \"$1\" in\n"
    << opts.str() << "  esac\n}\n_pki_kind() {\n  case \"$1\" in\n"
    << kinds.str() << "  esac\n}\n_pki_positional() {\n  case \"$1\" in\n"
    << positional.str()
    << "  esac\n}\n"
       "_pki() {\n"
       "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} path=\"\" db=\"\" i w kind\n"
       "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
       "    w=${COMP_WORDS[i]}\n"
       "    case \"$w\" in\n"
       "      --db) db=${COMP_WORDS[i+1]}; ((i++)) ;;\n"
       "      --db=*) db=${w#--db=} ;;\n"
       "      --*=*) ;;\n"
       "      -*) [ -n \"$(_pki_kind \"$path $w\")$(_pki_kind \" $w\")\" ] && ((i++)) ;;\n"
       "      *) case \" $(_pki_subs \"$path\") \" in *\" $w \"*) path=\"$path/$w\" ;; esac ;;\n"
       "    esac\n"
       "  done\n"
       "  kind=\"\"\n"
       "  case \"$prev\" in -*) kind=$(_pki_kind \"$path $prev\"); [ -n \"$kind\" ] || kind=$(_pki_kind \" "
       "$prev\") ;; esac\n"
       "  if [ -z \"$kind\" ] && [[ \"$cur\" != -* ]] && [ -z \"$(_pki_subs \"$path\")\" ]; then\n"
       "    kind=$(_pki_positional \"$path\")\n"
       "  fi\n"
       "  case \"$kind\" in\n"
       "    ca|profile)\n"
       "      # Names from the store, matched as text (compgen -W would expand them).\n"
       "      COMPREPLY=()\n"
       "      local n\n"
       "      while IFS= read -r n; do [[ $n == \"$cur\"* ]] && COMPREPLY+=(\"$n\"); done < <(command pki "
       "${db:+--db \"$db\"} completion --names \"$kind\" 2>/dev/null) ;;\n"
       "    file) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
       "    word) COMPREPLY=() ;;\n"
       "    *) COMPREPLY=($(compgen -W \"$(_pki_subs \"$path\") $(_pki_opts \"$path\") $(_pki_opts \"\")\" "
       "-- \"$cur\")) ;;\n"
       "  esac\n"
       "}\n"
       "complete -o filenames -F _pki pki\n";
  return s.str();
}

std::string fish_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string fish_script(const CLI::App& app) {
  std::ostringstream subs, lines;
  std::vector<const CLI::App*> chain;
  walk(app, chain, [&](const std::vector<const CLI::App*>& c) {
    const std::string key = key_of(c);
    const auto v = verbs_of(*c.back());
    if (!v.empty()) subs << "    case " << fish_quote(key) << "\n      echo " << join_names(v) << "\n";
    // Verb paths hold only letters, digits, '-' and '/'.
    const std::string at = " -n " + fish_quote("__pki_at " + (key.empty() ? std::string("''") : key));
    const std::string when = c.size() == 1 ? "" : at;
    for (const CLI::App* s : v)
      lines << "complete -c pki -f" << at << " -a " << fish_quote(s->get_name()) << " -d "
            << fish_quote(s->get_description()) << "\n";
    for (const CLI::Option* o : options_of(*c.back())) {
      const ValueKind k = value_kind(c, *o);
      if (o->get_positional()) {
        if (k == ValueKind::kCa || k == ValueKind::kProfile)
          lines << "complete -c pki -f" << at << " -a '(__pki_names " << kind_word(k) << ")'\n";
        else if (k == ValueKind::kFile)
          lines << "complete -c pki -F" << at << "\n";
        continue;
      }
      for (const auto& l : o->get_lnames()) {
        lines << "complete -c pki" << when << " -l " << l;
        if (k == ValueKind::kCa || k == ValueKind::kProfile)
          lines << " -x -a '(__pki_names " << kind_word(k) << ")'";
        else if (k == ValueKind::kFile)
          lines << " -r -F";
        else if (k == ValueKind::kWord)
          lines << " -x";
        lines << " -d " << fish_quote(o->get_description()) << "\n";
      }
    }
  });
  std::ostringstream s;
  s << "# fish completion for pki: `pki completion fish | source`, or save it as\n"
       "# ~/.config/fish/completions/pki.fish. Generated from pki's option definitions.\n"
       "function __pki_subs\n  switch $argv[1]\n"
    << subs.str()
    << "  end\nend\n"
       "function __pki_path\n"
       "  set -l path ''\n"
       "  for w in (commandline -opc)[2..-1]\n"
       "    if contains -- $w (string split ' ' -- (__pki_subs $path))\n"
       "      set path \"$path/$w\"\n"
       "    end\n"
       "  end\n"
       "  echo $path\n"
       "end\n"
       "function __pki_at\n"
       "  test \"$(__pki_path)\" = \"$argv[1]\"\n"
       "end\n"
       "function __pki_names\n"
       "  set -l db (commandline -opc | string match -r -- '^--db=.*' | string replace -- '--db=' '')\n"
       "  set -l words (commandline -opc)\n"
       "  if set -l i (contains -i -- --db $words); and test (count $words) -gt $i\n"
       "    set db $words[(math $i + 1)]\n"
       "  end\n"
       "  if test -n \"$db\"\n"
       "    command pki --db $db completion --names $argv[1] 2>/dev/null\n"
       "  else\n"
       "    command pki completion --names $argv[1] 2>/dev/null\n"
       "  end\n"
       "end\n"
       "complete -c pki -f\n"
    << lines.str();
  return s.str();
}

// roff escapes: a backslash, and a line that would start with a dot or a quote.
std::string roff(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\')
      out += "\\e";
    else if (c == '-')
      out += "\\-";
    else
      out += c;
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
  return out;
}

std::string option_synopsis(const CLI::Option& o) {
  std::string names;
  for (const auto& sn : o.get_snames()) names += (names.empty() ? "" : ", ") + ("-" + sn);
  for (const auto& l : o.get_lnames()) names += (names.empty() ? "" : ", ") + ("--" + l);
  if (o.get_positional()) names = o.get_name(true);
  std::string out = "\\fB" + roff(names) + "\\fR";
  if (!o.get_positional() && o.get_type_size() != 0) out += " \\fI" + roff(o.get_type_name()) + "\\fR";
  return out;
}

std::string man_page(const CLI::App& app) {
  std::ostringstream m;
  m << ".\\\" Generated from pki's option definitions (pki manpage). Do not edit.\n"
       ".TH PKI 1 \"\" \"pki 0.1.0\" \"User Commands\"\n"
       ".SH NAME\npki \\- a certificate authority and PKI toolkit\n"
       ".SH SYNOPSIS\n.B pki\n[\\fIGLOBAL OPTIONS\\fR] \\fIVERB\\fR [\\fIOPTIONS\\fR] [\\fIARGUMENTS\\fR]\n"
       ".SH DESCRIPTION\n"
       "pki runs certificate authorities whose keys, certificates, revocations, CRLs, profiles and audit "
       "log live in one SQLite database; it issues, renews, revokes and publishes, and verifies "
       "certificates as both ends of a TLS handshake do (RFC 5280 path validation), reporting every check. "
       "Every change is one transaction. Machine output: \\fB\\-\\-json\\fR.\n"
       ".PP\n\\fBpki help\\fR \\fIVERB\\fR shows one verb's options; \\fBpki completion bash|zsh|fish\\fR "
       "prints a "
       "completion script.\n"
       ".SH GLOBAL OPTIONS\n";
  for (const CLI::Option* o : options_of(app))
    m << ".TP\n" << option_synopsis(*o) << "\n" << roff(o->get_description()) << "\n";
  m << ".SH VERBS\n";
  std::vector<const CLI::App*> chain;
  walk(app, chain, [&](const std::vector<const CLI::App*>& c) {
    if (c.size() == 1) return;
    const CLI::App& v = *c.back();
    m << ".SS " << roff(path_of(c)) << "\n" << roff(v.get_description()) << "\n";
    const auto opts = options_of(v);
    bool any = false;
    for (const CLI::Option* o : opts) {
      if (o == v.get_help_ptr()) continue;
      any = true;
      m << ".TP\n"
        << option_synopsis(*o) << (o->get_required() ? " (required)" : "") << "\n"
        << roff(o->get_description()) << "\n";
    }
    if (!any && verbs_of(v).empty()) m << ".PP\nNo options.\n";
  });
  m << ".SH EXIT STATUS\n"
       ".TP\n0\nsuccess\n.TP\n1\na check failed, or a request was refused (a profile's limit, a revoked CA, "
       "an invalid certificate)\n"
       ".TP\n2\nusage or bad input (nothing changed)\n.TP\n3\nnot found\n.TP\n4\nstore or I/O error\n"
       ".TP\n70\ninternal error\n"
       ".SH ENVIRONMENT\n.TP\n.B PKI_DB\nthe database (as \\fB\\-\\-db\\fR)\n"
       ".TP\n.B PKI_PASSPHRASE_FILE\nas \\fB\\-\\-passphrase\\-file\\fR\n"
       ".SH FILES\n.TP\n.I ./pki.db\nthe default database (0600, with its \\-wal and \\-shm files)\n"
       ".SH SEE ALSO\n\\fBopenssl\\fR(1), \\fBopenssl\\-verify\\fR(1), RFC 5280, RFC 6960\n";
  return m.str();
}

struct MetaOptions {
  std::vector<std::string> words;
  std::string shell, names;
};

Result<int> run_help(CLI::App& app, const MetaOptions& o) {
  std::vector<const CLI::App*> chain{&app};
  for (const auto& w : o.words) {
    const CLI::App* next = verb_named(*chain.back(), w);
    if (!next) {
      std::vector<std::string> names;
      for (const CLI::App* s : verbs_of(*chain.back())) names.push_back(s->get_name());
      return fail(ErrorCode::kBadInput, "unknown command '" + w + "'" +
                                            (chain.size() > 1 ? " for '" + path_of(chain) + "'" : "") +
                                            did_you_mean(nearest(w, names)));
    }
    chain.push_back(next);
  }
  // The formatter, not App::help, which shows the verb being run (help itself).
  const CLI::App* shown = chain.back();
  std::cout << shown->get_formatter()->make_help(shown, path_of(chain), CLI::AppFormatMode::Normal);
  return 0;
}

Result<int> run_completion(Context& ctx, const CLI::App& app, const MetaOptions& o) {
  if (!o.names.empty()) {
    // For the scripts: the names in the store, one per line; nothing when there is no store. Only
    // plain names, as pki makes them: one edited into a store by other means is never offered to
    // a shell.
    if (o.names != "ca" && o.names != "profile")
      return fail(ErrorCode::kBadInput, "--names takes ca or profile");
    auto st = ctx.store(store::OpenMode::kRead);
    if (!st) return 0;
    if (o.names == "ca") {
      auto all = (*st)->authorities();
      if (all)
        for (const auto& a : *all)
          if (a.kind == store::AuthorityKind::kLocal && is_plain_name(a.name)) std::cout << a.name << "\n";
    } else {
      auto all = (*st)->profiles();
      if (all)
        for (const auto& p : *all)
          if (is_plain_name(p.name)) std::cout << p.name << "\n";
    }
    return 0;
  }
  if (o.shell == "bash") {
    std::cout << bash_script(app);
  } else if (o.shell == "zsh") {
    std::cout << "# zsh completion for pki: `source <(pki completion zsh)` in ~/.zshrc (bash's completion, "
                 "through bashcompinit).\nautoload -U +X bashcompinit && bashcompinit\n"
              << bash_script(app);
  } else if (o.shell == "fish") {
    std::cout << fish_script(app);
  } else {
    return fail(ErrorCode::kBadInput, o.shell.empty()
                                          ? "name a shell: pki completion bash, zsh or fish"
                                          : "no completion for '" + o.shell + "': bash, zsh or fish" +
                                                did_you_mean(nearest(o.shell, {"bash", "zsh", "fish"})));
  }
  return 0;
}

}  // namespace

std::string explain_parse_error(const CLI::App& app, int argc, char** argv) {
  std::vector<const CLI::App*> chain{&app};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") break;
    if (a.size() > 1 && a[0] == '-') {
      const std::string name = a.substr(0, a.find('='));
      const CLI::Option* o = find_option(chain, name);
      if (!o)
        return "unknown option '" + name + "' for '" + path_of(chain) + "'" +
               did_you_mean(nearest(name, long_names(chain)));
      if (o->get_type_size() != 0 && a.find('=') == std::string::npos) {
        const bool missing =
            i + 1 >= argc ||
            (argv[i + 1][0] == '-' && argv[i + 1][1] != '\0' &&
             find_option(chain, std::string(argv[i + 1]).substr(0, std::string(argv[i + 1]).find('='))));
        if (missing) return name + " needs a value (see pki help" + path_of(chain).substr(3) + ")";
        ++i;
      }
      continue;
    }
    const auto subs = verbs_of(*chain.back());
    if (subs.empty()) continue;  // an argument of the verb
    if (const CLI::App* s = verb_named(*chain.back(), a)) {
      chain.push_back(s);
      continue;
    }
    std::vector<std::string> names;
    for (const CLI::App* s : subs) names.push_back(s->get_name());
    return "unknown command '" + a + "'" + (chain.size() > 1 ? " for '" + path_of(chain) + "'" : "") +
           did_you_mean(nearest(a, names));
  }
  return {};
}

void register_meta(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<MetaOptions>();
  auto* help = app.add_subcommand("help", "help for a verb: pki help issue, pki help ca create");
  help->add_option("verb", o->words, "the verb (and sub-verb)");
  help->callback([&ctx, &app, o] { ctx.action = [&app, o] { return run_help(app, *o); }; });

  auto* completion = app.add_subcommand(
      "completion", "print a completion script: bash (source <(pki completion bash)), zsh or fish");
  completion->add_option("shell", o->shell, "bash, zsh or fish");
  completion->add_option("--names", o->names, "ca or profile: the names in the store (for the scripts)")
      ->group("");
  completion->callback(
      [&ctx, &app, o] { ctx.action = [&ctx, &app, o] { return run_completion(ctx, app, *o); }; });

  auto* manpage = app.add_subcommand("manpage", "print the man page pki.1 (roff)");
  manpage->group("");  // for the build, which installs it
  manpage->callback([&ctx, &app] {
    ctx.action = [&app] {
      std::cout << man_page(app);
      return Result<int>(0);
    };
  });
}

}  // namespace pki::app
