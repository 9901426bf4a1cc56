package cli_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The README names the Go version go.mod asks for, and its shell examples
// reach `rebound dev` through $B and $ACQ (which the port flags move), not
// through the default ports written into a curl line.
func TestREADMEPrerequisitesAndPortsOfItsExamples(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	if goLine == nil {
		t.Fatal("go.mod has no go line")
	}
	_, prereq, ok := strings.Cut(string(readme), "\n## Prerequisites\n")
	prereq, _, _ = strings.Cut(prereq, "\n## ")
	if !ok {
		t.Fatal("README has no Prerequisites section")
	}
	for _, want := range []string{"Go " + string(goLine[1]), "`jq`", "`openssl`", "`curl`", "`chromium`", "`npm ci`"} {
		if !strings.Contains(prereq, want) {
			t.Errorf("README's prerequisites do not name %s", want)
		}
	}
	fixed := regexp.MustCompile(`\bcurl\b.*(localhost|127\.0\.0\.1):(8080|8090|8583|8584)\b`)
	for _, block := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(readme), -1) {
		for _, line := range strings.Split(block[1], "\n") {
			if fixed.MatchString(line) {
				t.Errorf("README's example hard-codes a port of rebound dev; use $B or $ACQ: %s", line)
			}
		}
	}
}
