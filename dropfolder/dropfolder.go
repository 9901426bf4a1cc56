// Package dropfolder is the settlement folder that Rebound picks files up from:
// every merchant has a folder of its own in it (named by the merchant's slug
// or its acquirer merchant ID), where the acquirer and the payment gateway
// drop their files. Writers drop a file whole (written under a hidden
// name, then renamed); once a file is dealt with it moves to the folder's
// imported/ or refused/ subfolder.
package dropfolder

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Subfolders a dealt-with file moves to.
const (
	Imported = "imported"
	Refused  = "refused"
)

// partSuffix marks a file still being written.
const partSuffix = ".part"

// File is a file waiting in a merchant's folder.
type File struct {
	Folder  string    // the merchant's folder: its slug or acquirer merchant ID
	Name    string    // the file's name in it
	Path    string    // the full path
	Size    int64     // bytes
	ModTime time.Time // when it was written
}

// ValidName reports whether s may name a merchant's folder or a file in
// it: one path element, not hidden.
func ValidName(s string) bool {
	return s != "" && len(s) <= 255 && !strings.HasPrefix(s, ".") && !strings.ContainsAny(s, `/\`+"\x00")
}

// Write drops a file into folder under dir: write writes its content to a
// hidden file that is then renamed, so that a reader never sees half of it.
// A file of that name already there is replaced. It answers the file's path.
func Write(dir, folder, name string, write func(io.Writer) error) (string, error) {
	if !ValidName(folder) || !ValidName(name) {
		return "", fmt.Errorf("dropfolder: %q/%q is not a folder and file name", folder, name)
	}
	into := filepath.Join(dir, folder)
	if err := os.MkdirAll(into, 0o750); err != nil {
		return "", fmt.Errorf("dropfolder: %w", err)
	}
	tmp, err := os.CreateTemp(into, "."+name+".*"+partSuffix)
	if err != nil {
		return "", fmt.Errorf("dropfolder: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename there is nothing to remove
	if err := write(tmp); err != nil {
		tmp.Close()
		return "", fmt.Errorf("dropfolder: write %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("dropfolder: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("dropfolder: %w", err)
	}
	path := filepath.Join(into, name)
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("dropfolder: %w", err)
	}
	return path, nil
}

// List lists the files waiting under dir, by folder and then by name:
// hidden files (still being written) and the subfolders of dealt-with
// files are left out. A dir that does not exist holds nothing.
func List(dir string) ([]File, error) {
	folders, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dropfolder: %w", err)
	}
	var out []File
	for _, fo := range folders {
		if !fo.IsDir() || !ValidName(fo.Name()) {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(dir, fo.Name()))
		if err != nil {
			return nil, fmt.Errorf("dropfolder: %w", err)
		}
		for _, e := range entries {
			if !e.Type().IsRegular() || !ValidName(e.Name()) || strings.HasSuffix(e.Name(), partSuffix) {
				continue
			}
			info, err := e.Info()
			if err != nil {
				continue // gone since the listing
			}
			out = append(out, File{Folder: fo.Name(), Name: e.Name(), Path: filepath.Join(dir, fo.Name(), e.Name()),
				Size: info.Size(), ModTime: info.ModTime()})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Folder != out[j].Folder {
			return out[i].Folder < out[j].Folder
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// Locate finds a file of folder under dir: waiting, or already moved to
// imported/ or refused/ (by an earlier try that did not get to say so).
// It answers the path and the subfolder ("" when waiting).
func Locate(dir, folder, name string) (path, sub string, err error) {
	if !ValidName(folder) || !ValidName(name) {
		return "", "", fmt.Errorf("dropfolder: %q/%q is not a folder and file name", folder, name)
	}
	for _, sub := range []string{"", Imported, Refused} {
		p := filepath.Join(dir, folder, sub, name)
		if _, err := os.Stat(p); err == nil {
			return p, sub, nil
		}
	}
	return "", "", fmt.Errorf("dropfolder: %s/%s: %w", folder, name, os.ErrNotExist)
}

// Move moves a waiting file of folder into its subfolder sub (Imported or
// Refused). A file of the same name there already keeps its place: this
// one gets a suffix. For a refused file, why is written beside it.
func Move(dir, folder, name, sub, why string) (string, error) {
	if sub != Imported && sub != Refused {
		return "", fmt.Errorf("dropfolder: no subfolder %q", sub)
	}
	if !ValidName(folder) || !ValidName(name) {
		return "", fmt.Errorf("dropfolder: %q/%q is not a folder and file name", folder, name)
	}
	into := filepath.Join(dir, folder, sub)
	if err := os.MkdirAll(into, 0o750); err != nil {
		return "", fmt.Errorf("dropfolder: %w", err)
	}
	to := filepath.Join(into, name)
	for n := 2; ; n++ {
		if _, err := os.Stat(to); errors.Is(err, os.ErrNotExist) {
			break
		}
		ext := filepath.Ext(name)
		to = filepath.Join(into, fmt.Sprintf("%s.%d%s", strings.TrimSuffix(name, ext), n, ext))
	}
	if err := os.Rename(filepath.Join(dir, folder, name), to); err != nil {
		return "", fmt.Errorf("dropfolder: %w", err)
	}
	if sub == Refused && why != "" {
		if err := os.WriteFile(to+".why.txt", []byte(why+"\n"), 0o640); err != nil {
			return to, fmt.Errorf("dropfolder: %w", err)
		}
	}
	return to, nil
}
