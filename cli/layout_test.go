package cli_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The README's Layout table is where a newcomer finds their way: every Go
// package of the module lies under a folder it lists, and every folder it
// lists exists.
func TestREADMELayoutCoversEveryPackage(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	start := strings.Index(readme, "\n## Layout\n")
	if start < 0 {
		t.Fatal("README has no Layout section")
	}
	section := readme[start+1:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	// The first cell of each row names one or more folders, in backquotes.
	cell := regexp.MustCompile("(?m)^\\| ([^|]+) \\|")
	folder := regexp.MustCompile("`([a-z0-9_./{},-]+)/`")
	var listed []string
	for _, row := range cell.FindAllStringSubmatch(section, -1) {
		for _, f := range folder.FindAllStringSubmatch(row[1], -1) {
			listed = append(listed, f[1])
		}
	}
	if len(listed) == 0 {
		t.Fatal("the Layout table lists no folders")
	}
	for _, f := range listed {
		if st, err := os.Stat(filepath.Join("..", f)); err != nil || !st.IsDir() {
			t.Errorf("the Layout table lists %s/, which is not a folder", f)
		}
	}
	for _, pkg := range packageDirs(t, "..") {
		covered := false
		for _, f := range listed {
			if pkg == f || strings.HasPrefix(pkg, f+"/") {
				covered = true
				break
			}
		}
		if !covered {
			t.Errorf("package %s/ is under no folder of README's Layout table", pkg)
		}
	}
}

// packageDirs lists the module's folders holding Go files, relative to root.
func packageDirs(t *testing.T, root string) []string {
	t.Helper()
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() && p != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata" || name == "test-output") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(name, ".go") {
			rel, err := filepath.Rel(root, filepath.Dir(p))
			if err != nil {
				return err
			}
			seen[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	dirs := make([]string, 0, len(seen))
	for d := range seen {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	return dirs
}
