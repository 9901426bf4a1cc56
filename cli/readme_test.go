package cli_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/config"
)

// The README is a newcomer's first stop: its commands and its table of
// variables must be the real ones.
func TestREADMEDocumentsCommandsAndEveryVariable(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, want := range []string{"make test", "go run ./cmd/rebound dev"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README does not show %q", want)
		}
	}
	row := regexp.MustCompile("(?m)^\\| `(REBOUND_[A-Z0-9_]+)` \\|")
	var documented []string
	for _, m := range row.FindAllStringSubmatch(readme, -1) {
		documented = append(documented, m[1])
	}
	if !slices.Equal(documented, config.Names()) {
		t.Errorf("README's configuration table lists\n%v\nbut Rebound reads\n%v\n(go run ./scripts/configtable prints the table)", documented, config.Names())
	}
	ci, err := os.ReadFile("../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ci), "make test") {
		t.Error(".ci/run does not run the README's test command")
	}
}
