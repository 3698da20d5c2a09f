# zsh -f complete.zsh OUT SETUP LINE
#
# Completes LINE as zsh does when TAB is pressed at its end, with zsh's real
# completion system: an interactive zsh runs in a pseudo-terminal
# (zsh/zpty), loads compsys (compinit), evaluates SETUP (which defines the
# completion under test, e.g. "source <(kubectl completion zsh)"), and gets
# LINE and a TAB on its terminal. compadd is wrapped to write down, in the
# file OUT, the candidates it is given once compsys has matched them against
# the word under the cursor; they are printed one per line, in the order the
# completion functions added them. Exit status 2 when the completion does
# not finish within 30 seconds.
zmodload zsh/zpty zsh/zselect || exit 2
out=$1 setup=$2 line=$3
: >| $out || exit 2

zpty z zsh -f -i || exit 2
zpty -w z "PS1= PS2= RPS1=; unsetopt beep"
zpty -w z "autoload -Uz compinit && compinit -u -D"
zpty -w z "$setup"
# Callers that collect matches themselves (-O, -A, -D) are left alone.
zpty -w z "compadd() {
  if (( ! \${@[(I)-[OAD]*]} )); then
    local -a __m
    builtin compadd -O __m \"\$@\"
    (( \$#__m )) && print -rl -- \"\${__m[@]}\" >> ${(q)out}
  fi
  builtin compadd \"\$@\"
}"
# compsys empties comppostfuncs after each completion: add the end marker
# from a pre-function.
zpty -w z "_capture_done() { print -r -- '::done' >> ${(q)out} }"
zpty -w z "_capture_pre() { comppostfuncs+=( _capture_done ) }; compprefuncs=( _capture_pre )"
zpty -w z "bindkey '^I' complete-word"
zpty -w -n z "$line"$'\t'

integer i
for (( i = 0; i < 300; i++ )); do
  if [[ -s $out && ${"$(<$out)"} == (*$'\n'|)::done(|$'\n'*) ]]; then
    zpty -d z
    local -a got
    got=( ${(f)"$(<$out)"} )
    print -rl -- ${got:#::done}
    exit 0
  fi
  # Drain the terminal, so that the shell never blocks writing to it.
  zpty -r -t z _ 2>/dev/null
  zselect -t 10
done
zpty -d z
print -ru2 -- "zsh did not finish completing ${(q)line}"
exit 2
