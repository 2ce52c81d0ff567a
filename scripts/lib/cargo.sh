# Finding what `cargo test --workspace` built, so that no script builds it a second time
# (sourced, not run).
#
#   built_by_cargo_test NAME KIND   the executable of the workspace target NAME of KIND (`bin`:
#                                   the program; `test`: an integration test) from the test build;
#                                   empty when there is none. PYTHON or python3 reads cargo's JSON

built_by_cargo_test() {
  local name="$1" kind="$2" python="${PYTHON:-python3}"
  cargo test --workspace --locked --no-run --message-format=json 2>/dev/null | "$python" -c '
import json, sys
name, kind = sys.argv[1], sys.argv[2]
found = ""
for line in sys.stdin:  # read to the end: cargo fails on a closed pipe
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == name \
            and m["target"]["kind"] == [kind] and m["profile"]["test"] == (kind == "test") \
            and m.get("executable"):
        found = m["executable"]
print(found)
' "$name" "$kind"
}
