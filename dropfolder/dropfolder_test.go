package dropfolder

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func drop(t *testing.T, dir, folder, name, content string) string {
	t.Helper()
	p, err := Write(dir, folder, name, func(w io.Writer) error {
		_, err := io.WriteString(w, content)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWriteListMove(t *testing.T) {
	dir := t.TempDir()
	drop(t, dir, "shop-b", "b.csv", "b")
	drop(t, dir, "shop-a", "z.csv", "z")
	drop(t, dir, "shop-a", "a.csv", "a")
	// What is still being written, hidden files and loose files are not listed.
	if err := os.WriteFile(filepath.Join(dir, "shop-a", ".c.csv.123.part"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "loose.csv"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	files, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.Folder+"/"+f.Name)
	}
	if strings.Join(got, " ") != "shop-a/a.csv shop-a/z.csv shop-b/b.csv" {
		t.Fatalf("listed %v", got)
	}
	if files[0].Size != 1 {
		t.Fatalf("size %d", files[0].Size)
	}

	to, err := Move(dir, "shop-a", "a.csv", Imported, "")
	if err != nil || to != filepath.Join(dir, "shop-a", "imported", "a.csv") {
		t.Fatalf("moved to %q: %v", to, err)
	}
	if p, sub, err := Locate(dir, "shop-a", "a.csv"); err != nil || sub != Imported || p != to {
		t.Fatalf("located %q %q %v", p, sub, err)
	}
	// A second file of the same name keeps the first in place.
	drop(t, dir, "shop-a", "a.csv", "again")
	to2, err := Move(dir, "shop-a", "a.csv", Imported, "")
	if err != nil || filepath.Base(to2) != "a.2.csv" {
		t.Fatalf("moved to %q: %v", to2, err)
	}
	// A refused file has its reason beside it.
	to3, err := Move(dir, "shop-a", "z.csv", Refused, "line 2: amount: not a number")
	if err != nil {
		t.Fatal(err)
	}
	why, err := os.ReadFile(to3 + ".why.txt")
	if err != nil || !strings.Contains(string(why), "amount") {
		t.Fatalf("why %q %v", why, err)
	}
	files, _ = List(dir)
	if len(files) != 1 || files[0].Name != "b.csv" {
		t.Fatalf("left %v", files)
	}
	if _, _, err := Locate(dir, "shop-c", "b.csv"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("locate of nothing: %v", err)
	}
}

func TestNamesStayInTheFolder(t *testing.T) {
	dir := t.TempDir()
	for _, bad := range [][2]string{{"..", "x.csv"}, {"shop", "../x.csv"}, {"shop", ".hidden"}, {"", "x"}, {"a/b", "x"}} {
		if _, err := Write(dir, bad[0], bad[1], func(io.Writer) error { return nil }); err == nil {
			t.Errorf("wrote %q/%q", bad[0], bad[1])
		}
		if _, err := Move(dir, bad[0], bad[1], Imported, ""); err == nil {
			t.Errorf("moved %q/%q", bad[0], bad[1])
		}
	}
	if files, err := List(filepath.Join(dir, "absent")); err != nil || len(files) != 0 {
		t.Fatalf("absent dir: %v %v", files, err)
	}
}

func TestFailedWriteLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	_, err := Write(dir, "shop", "x.csv", func(w io.Writer) error {
		_, _ = io.WriteString(w, "half")
		return errors.New("disk on fire")
	})
	if err == nil {
		t.Fatal("no error")
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "shop"))
	if len(entries) != 0 {
		t.Fatalf("left %v", entries)
	}
}
