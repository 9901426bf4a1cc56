package cli_test

import (
	"bytes"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/cli"
	"github.com/rebound-returns/rebound/config"
)

// "Flags move every port" (README): every address `rebound dev` listens on
// or dials — each cfg.…Addr / cfg.…Address that dev.go reads — has a flag
// in `rebound dev --help` overriding its variable, and a value given by
// flag is the one validated (a bad one is refused naming the flag).
func TestDevHasAFlagForEveryPort(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("dev.go")
	if err != nil {
		t.Fatal(err)
	}
	var vars []string
	for _, m := range regexp.MustCompile(`\bcfg\.(\w+Addr(?:ess)?)\b`).FindAllStringSubmatch(string(src), -1) {
		v := "REBOUND_" + strings.ToUpper(regexp.MustCompile(`([a-z])([A-Z])|([A-Z])([A-Z][a-z])`).ReplaceAllString(m[1], "${1}${3}_${2}${4}"))
		if !slices.Contains(config.Names(), v) {
			t.Fatalf("dev.go reads cfg.%s, but %s is no variable", m[1], v)
		}
		if !slices.Contains(vars, v) {
			vars = append(vars, v)
		}
	}
	for _, v := range []string{"REBOUND_HTTP_ADDR", "REBOUND_TEMPORAL_ADDRESS", "REBOUND_GATEWAY_ADDR", "REBOUND_ACQUIRER_ADDR", "REBOUND_ACQUIRER_ADMIN_ADDR", "REBOUND_DEBUG_ADDR"} {
		if !slices.Contains(vars, v) {
			t.Errorf("dev.go does not read %s: this test no longer finds dev's ports", v)
		}
	}

	var help bytes.Buffer
	if code := cli.Main([]string{"dev", "--help"}, &help, &help, lookup(nil)); code != 0 {
		t.Fatalf("dev --help: exit %d: %s", code, help.String())
	}
	flags := map[string]string{} // variable -> flag
	for _, m := range regexp.MustCompile(`(?s)\n  -([a-z-]+)[^\n]*\n[^\n]*\(overrides (REBOUND_[A-Z_]+)\)`).FindAllStringSubmatch(help.String(), -1) {
		flags[m[2]] = m[1]
	}
	for _, v := range vars {
		flag := flags[v]
		if flag == "" {
			t.Errorf("dev opens %s, but its help lists no flag overriding it:\n%s", v, help.String())
			continue
		}
		// The flag's value is the one dev validates.
		var stderr bytes.Buffer
		code := cli.Main([]string{"dev", "--" + flag, "no-port-here"}, &bytes.Buffer{}, &stderr, lookup(nil))
		if code != 2 || !strings.HasPrefix(stderr.String(), "rebound dev: --"+flag+": ") {
			t.Errorf("dev --%s no-port-here: exit %d, %q; want 2 and the flag named", flag, code, stderr.String())
		}
	}
	// The acquirer already running is a switch: alone it means true, and
	// only true or false are taken.
	if flags["REBOUND_ACQUIRER_EXTERNAL"] != "acquirer-external" {
		t.Errorf("no --acquirer-external switch overriding REBOUND_ACQUIRER_EXTERNAL:\n%s", help.String())
	}
	var stderr bytes.Buffer
	if code := cli.Main([]string{"dev", "--acquirer-external", "--acquirer-addr", "nowhere"}, &bytes.Buffer{}, &stderr, lookup(nil)); code != 2 ||
		!strings.HasPrefix(stderr.String(), "rebound dev: --acquirer-addr: ") {
		t.Errorf("dev --acquirer-external --acquirer-addr nowhere: exit %d, %q", code, stderr.String())
	}
	stderr.Reset()
	if code := cli.Main([]string{"dev", "--acquirer-external=maybe"}, &bytes.Buffer{}, &stderr, lookup(nil)); code != 2 || !strings.Contains(stderr.String(), "acquirer-external") {
		t.Errorf("dev --acquirer-external=maybe: exit %d, %q", code, stderr.String())
	}
}
