package db

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rebound-returns/rebound/ids"
)

// The ids the set-wise statements make (work items, findings of a
// reconciliation) are read back through URLs that take only canonical
// UUIDs (ids.Valid). SQLite's expression made 32 hex digits without hyphens,
// so on SQLite no work item a reconciliation opened could be resolved (404).
func TestSetWiseIDsAreCanonicalUUIDs(t *testing.T) {
	t.Parallel()
	urls := map[string]string{"sqlite": "sqlite:" + filepath.Join(t.TempDir(), "ids.db")}
	if base := os.Getenv("REBOUND_TEST_POSTGRES_URL"); base != "" {
		urls["postgres"] = base
	}
	for name, url := range urls {
		t.Run(name, func(t *testing.T) {
			d, err := Open(url, Pool{MaxOpen: 1, MaxIdle: 1}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			seen := map[string]bool{}
			for range 500 {
				var id string
				if err := d.with(context.Background()).Raw("SELECT " + d.newUUID()).Scan(&id).Error; err != nil {
					t.Fatal(err)
				}
				if !ids.Valid(id) || id[14] != '4' || !(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b') {
					t.Fatalf("%s made %q: not a canonical version-4 UUID", name, id)
				}
				if seen[id] {
					t.Fatalf("%s made %q twice", name, id)
				}
				seen[id] = true
			}
		})
	}
}
