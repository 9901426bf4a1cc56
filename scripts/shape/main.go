// Command shape prints the measures issue 14 is judged on, so that a
// closing note quotes numbers rather than impressions: lines of code and of
// tests per package, the types with the most exported methods, the API's
// longest handlers and its imports of the store. go run ./scripts/shape
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

const module = "github.com/rebound-returns/rebound/"

type pkg struct {
	dir         string
	code, tests int
}

type method struct {
	typ   string
	count int
}

type handler struct {
	name  string
	lines int
}

func main() {
	pkgs := map[string]*pkg{}
	methods := map[string]int{}
	var handlers []handler
	var apiStoreImports []string
	apiDBCalls := 0
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata" || name == "test-output") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dir := filepath.Dir(path)
		p := pkgs[dir]
		if p == nil {
			p = &pkg{dir: dir}
			pkgs[dir] = p
		}
		n := lines(src)
		test := strings.HasSuffix(path, "_test.go")
		if test {
			p.tests += n
			return nil
		}
		p.code += n
		f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			if fn.Recv != nil && fn.Name.IsExported() {
				methods[dir+"."+recvType(fn.Recv.List[0].Type)]++
			}
			if dir == "api" && takesGinContext(fn) {
				l := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
				handlers = append(handlers, handler{filepath.Base(path) + ":" + fn.Name.Name, l})
			}
		}
		if dir == "api" {
			for _, imp := range f.Imports {
				v := strings.Trim(imp.Path.Value, `"`)
				if v == module+"db" || strings.HasPrefix(v, "gorm.io/") {
					apiStoreImports = append(apiStoreImports, filepath.Base(path)+" → "+v)
				}
			}
			apiDBCalls += bytes.Count(src, []byte("s.deps.DB."))
		}
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	fmt.Println("## Lines per package (code / tests / ratio)")
	var list []*pkg
	for _, p := range pkgs {
		if p.code > 0 {
			list = append(list, p)
		}
	}
	slices.SortFunc(list, func(a, b *pkg) int { return cmp.Or(cmp.Compare(b.code, a.code), cmp.Compare(a.dir, b.dir)) })
	total := 0
	for _, p := range list {
		total += p.code
	}
	for _, p := range list {
		fmt.Printf("%-28s %6d %6d  %.2f  %4.1f%%\n", p.dir, p.code, p.tests, float64(p.tests)/float64(p.code), 100*float64(p.code)/float64(total))
	}
	fmt.Printf("%-28s %6d\n", "total", total)

	fmt.Println("\n## Types with the most exported methods")
	var ms []method
	for t, n := range methods {
		ms = append(ms, method{t, n})
	}
	slices.SortFunc(ms, func(a, b method) int { return cmp.Or(cmp.Compare(b.count, a.count), cmp.Compare(a.typ, b.typ)) })
	for _, m := range ms[:min(8, len(ms))] {
		fmt.Printf("%-40s %4d\n", m.typ, m.count)
	}

	fmt.Println("\n## API handlers (functions taking *gin.Context), longest first")
	slices.SortFunc(handlers, func(a, b handler) int { return cmp.Or(cmp.Compare(b.lines, a.lines), cmp.Compare(a.name, b.name)) })
	over := 0
	for _, h := range handlers {
		if h.lines > 40 {
			over++
		}
	}
	for _, h := range handlers[:min(10, len(handlers))] {
		fmt.Printf("%-44s %4d\n", h.name, h.lines)
	}
	fmt.Printf("handlers: %d, over 40 lines: %d\n", len(handlers), over)
	fmt.Printf("\n## The API and the store\ns.deps.DB. calls: %d\nfiles importing db or gorm: %d\n", apiDBCalls, len(apiStoreImports))
	for _, s := range apiStoreImports {
		fmt.Println("  " + s)
	}
}

func lines(src []byte) int {
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		n++
	}
	return n
}

func recvType(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return "*" + recvType(t.X)
	case *ast.IndexExpr:
		return recvType(t.X)
	case *ast.IndexListExpr:
		return recvType(t.X)
	case *ast.Ident:
		return t.Name
	}
	return "?"
}

func takesGinContext(fn *ast.FuncDecl) bool {
	for _, f := range fn.Type.Params.List {
		if s, ok := f.Type.(*ast.StarExpr); ok {
			if sel, ok := s.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "Context" {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "gin" {
					return true
				}
			}
		}
	}
	return false
}
