package returns_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/returns"
)

// vocabulary is every word returns/vocabulary.go defines.
func vocabulary() map[string]bool {
	words := map[string]bool{}
	add := func(ws ...string) {
		for _, w := range ws {
			words[w] = true
		}
	}
	add(string(returns.ChannelOnline), string(returns.ChannelCardPresent))
	add(string(returns.MethodShip), string(returns.MethodInStore))
	add(string(returns.RefundStatusPending), string(returns.RefundStatusSucceeded), string(returns.RefundStatusFailed))
	for _, s := range []returns.AttemptState{returns.AttemptPrepared, returns.AttemptSent, returns.AttemptApproved,
		returns.AttemptDeclined, returns.AttemptUnknown, returns.AttemptReversalPending, returns.AttemptReversed, returns.AttemptEscalated} {
		add(string(s))
	}
	add(string(returns.AttemptOnline), string(returns.AttemptVoid), string(returns.AttemptRefund))
	add(string(returns.ActorShopper), string(returns.ActorStaff), string(returns.ActorCarrier), string(returns.ActorSystem))
	add(returns.RoleWords(append(slices.Clone(returns.MerchantRoles), returns.RoleOperator))...)
	add(returns.ResolutionWords(returns.Resolutions)...)
	return words
}

// allowed are the quoted words outside returns/ that are a different thing
// spelt the same, by file and word, with how many times each may appear.
// Everything else must use returns' constants.
var allowed = map[string]int{
	// The payment gateway's own refund statuses: payments is a client of
	// an outside API and speaks its words, not Rebound's.
	"payments/client.go pending":   1,
	"payments/client.go succeeded": 1,
	"payments/client.go failed":    1,
	// The terminal protocol's message kinds (pos.Kind), ISO 8583's words.
	"pos/messages.go void":   1,
	"pos/messages.go refund": 1,
	// Outbox message statuses and audit outcomes: their own vocabularies.
	"db/lifecycle_models.go pending": 1,
	"db/lifecycle_models.go sent":    1,
	"db/lifecycle_models.go failed":  1,
	"db/models.go failed":            1,
	// The "escalated" task queue (db.QueueEscalated), listed by the console.
	"db/returns.go escalated":  1,
	"web/console.go escalated": 1,
	// The console's "done" notice key after a refund decision.
	"web/console.go approved": 1,
	// The staff page's cursor query parameter.
	"web/people.go staff": 2,
	// The finance page's template and navigation name; the English noun in
	// a chart's summary.
	"web/finance.go finance": 7,
	"web/finance.go refund":  1,
	// A settlement file's status (its reconciliation failed).
	"app/views/settlement.go failed": 1,
	// The finance lists' page names ("failed" refunds, "work" items) and
	// template name.
	"web/finance_lists.go failed":  1,
	"web/finance_lists.go finance": 2,
	// The settlement history's navigation name (the finance section).
	"web/settlements.go finance": 1,
	// The name of the counter's supervisor check, as the audit log records it.
	"app/counter/checks.go supervisor": 1,
	// The CLI's admin command, and the acquirer simulator's admin address
	// as a log attribute.
	"cli/admin.go admin":    1,
	"cli/acquirer.go admin": 1,
	// The floor load's Temporal signal name.
	"loadgen/floor.go carrier": 1,
}

// TestVocabularyLivesInReturns fails on a quoted word of returns'
// vocabulary in the module's non-test Go code outside returns/: such a word
// is written once, as a typed constant. Struct tags and map keys (JSON
// field names, lookup keys) are names, not values, and are not looked at.
func TestVocabularyLivesInReturns(t *testing.T) {
	words := vocabulary()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	found := map[string][]string{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "returns" || rel == "node_modules" || strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		skip := map[ast.Node]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.Field:
				if n.Tag != nil {
					skip[n.Tag] = true
				}
			case *ast.KeyValueExpr:
				skip[n.Key] = true
			case *ast.ImportSpec:
				skip[n.Path] = true
			case *ast.BasicLit:
				if n.Kind != token.STRING || skip[n] {
					return true
				}
				if w, err := strconv.Unquote(n.Value); err == nil && words[w] {
					key := rel + " " + w
					found[key] = append(found[key], fmt.Sprintf("%s:%d", rel, fset.Position(n.Pos()).Line))
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for key, at := range found {
		if len(at) > allowed[key] {
			t.Errorf("%q quoted %d times (allowed %d), at %s: use the returns constant", key, len(at), allowed[key], strings.Join(at, ", "))
		}
	}
	for key, n := range allowed {
		if len(found[key]) < n {
			t.Errorf("allow-list entry %q allows %d but %d remain: lower it", key, n, len(found[key]))
		}
	}
}
