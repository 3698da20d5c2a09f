package explain

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var updateREADME = flag.Bool("update-readme", false, "rewrite the README's table of checks from Checks()")

// The README's table of checks is ChecksTable(): a check added or changed
// without the README fails here (go test ./pkg/explain -update-readme
// rewrites it).
func TestREADMETableOfChecks(t *testing.T) {
	const path = "../../README.md"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	start := strings.Index(readme, "| code | severity | istioctl / Kiali | finding |\n")
	if start < 0 {
		t.Fatal("no table of checks in the README")
	}
	end := strings.Index(readme[start:], "\n\n")
	if end < 0 {
		end = len(readme) - start
	}
	got, want := readme[start:start+end+1], ChecksTable()
	if got == want {
		return
	}
	if *updateREADME {
		if err := os.WriteFile(path, []byte(readme[:start]+want+readme[start+end+1:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the README's table of checks differs from Checks(); run go test ./pkg/explain -update-readme\n--- README ---\n%s--- checks ---\n%s", got, want)
}
