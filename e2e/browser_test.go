package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The pages, driven in headless Chromium (Debian's chromium package) the
// way their users drive them. Every page a test passes through is checked
// with axe-core (the npm package, injected into the page) for serious or
// critical accessibility violations, and each test saves a screenshot of
// its last page in its artifact folder (go test -artifacts).

// requireBrowser makes a missing Chromium or axe-core a failure instead of
// a skip; CI sets it.
const requireBrowser = "REBOUND_TEST_REQUIRE_BROWSER"

type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	axe  string
	// checked lists the pages axe has passed, for the log.
	checked []string
}

func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts a headless Chromium for the test with a window of the
// given size; mobile emulates a phone's touch screen and viewport.
func newBrowser(t *testing.T, s *stack, width, height int, mobile bool) *browser {
	t.Helper()
	chromium := findChromium()
	axe, err := os.ReadFile(filepath.Join("..", "node_modules", "axe-core", "axe.min.js"))
	if chromium == "" || err != nil {
		msg := fmt.Sprintf("browser tests need Chromium (found %q) and axe-core (npm ci: %v)", chromium, err)
		if os.Getenv(requireBrowser) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(width, height), chromedp.Flag("lang", "en-GB"))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, base: s.url, axe: string(axe)}
	emulate := chromedp.EmulateViewport(int64(width), int64(height))
	if mobile {
		emulate = chromedp.EmulateViewport(int64(width), int64(height), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	}
	// The first call starts the browser, which lives as long as ctx.
	b.do(emulate)
	t.Cleanup(func() {
		if t.Failed() {
			b.screenshot("failed")
		}
	})
	return b
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("browser at %s: %v", b.location(), err)
	}
}

func (b *browser) location() string {
	loc, _ := chromedp.Run(b.ctx, chromedp.Location())
	return loc
}

func eval[T any](b *browser, expr string, opts ...chromedp.EvaluateOption) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		b.t.Fatalf("browser at %s: evaluate: %v", b.location(), err)
	}
	return v
}

// open loads a page and checks it.
func (b *browser) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.CSS("main")))
	b.checkPage()
}

// submit clicks a button and waits for the page the browser lands on to be
// a new one whose address matches want, then checks it.
func (b *browser) submit(button string, want string) {
	b.t.Helper()
	before := eval[string](b, `document.body.dataset.old = "1"; location.href`)
	b.do(chromedp.Click(chromedp.CSS(button)))
	re := regexp.MustCompile(want)
	deadline := time.Now().Add(60 * time.Second)
	for {
		loc := b.location()
		fresh, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && !!document.body && !document.body.dataset.old`))
		if err == nil && fresh && re.MatchString(loc) {
			break
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("after clicking %s on %s: at %s, want %s\n%s", button, before, loc, want, b.mainText())
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.do(chromedp.WaitReady(chromedp.CSS("main")))
	b.checkPage()
}

func (b *browser) mainText() string {
	text, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector("main") ? document.querySelector("main").innerText : ""`))
	return text
}

// see fails the test unless the page's main part says each of texts.
func (b *browser) see(texts ...string) {
	b.t.Helper()
	main := b.mainText()
	for _, want := range texts {
		if !strings.Contains(main, want) {
			b.t.Fatalf("the page at %s does not say %q:\n%s", b.location(), want, main)
		}
	}
}

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkPage runs axe-core over the page: no serious or critical
// violation may be left.
func (b *browser) checkPage() {
	b.t.Helper()
	if !eval[bool](b, `typeof window.axe !== "undefined"`) {
		eval[bool](b, b.axe+";true")
	}
	out := eval[string](b, `axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(
		r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
		 .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}))))`,
		chromedp.EvalAwaitPromise)
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		b.t.Fatalf("axe answered %q: %v", out, err)
	}
	loc := b.location()
	for _, v := range vs {
		b.t.Errorf("axe on %s: %s (%s): %s at %v", loc, v.ID, v.Impact, v.Help, v.Nodes)
	}
	b.checked = append(b.checked, strings.TrimPrefix(loc, b.base))
}

// screenshot saves the whole page as <name>.png in the test's artifacts.
func (b *browser) screenshot(name string) string {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	path := filepath.Join(b.t.ArtifactDir(), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s (%d bytes); axe passed %d pages: %v", path, len(png), len(b.checked), b.checked)
	return path
}

func fill(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.SetValue(chromedp.CSS(sel), value)
}

// consoleLogin logs a member of the demo merchant in through the log-in
// page.
func (b *browser) consoleLogin(user string) {
	b.t.Helper()
	b.open("/console/login")
	b.do(fill(`[name="merchant"]`, "demo"), fill(`[name="username"]`, user), fill(`[name="password"]`, demoPassword))
	b.submit(`main button[type="submit"]`, `/console(\?|$)`)
}
