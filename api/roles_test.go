package api

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/app/session"
	"github.com/rebound-returns/rebound/returns"
)

// matrixRoles are the columns of the README's role matrix, in its order.
var matrixRoles = []returns.Role{returns.RoleClerk, returns.RoleSupervisor, returns.RoleAdmin, returns.RoleFinance, returns.RoleOperator}

// roleBearer takes a role's name for a bearer token: a member of merchant
// m1 in that role (an operator of none).
type roleBearer struct{ fakeSessions }

func (*roleBearer) Authenticate(_ context.Context, token string) (session.Principal, error) {
	r := returns.Role(token)
	if !r.Valid() {
		return session.Principal{}, apperr.Unauthenticated("", "send a valid bearer token")
	}
	p := session.Principal{Kind: kindStaff, Username: token, Role: r, MerchantID: "m1"}
	if r == returns.RoleOperator {
		p.MerchantID = ""
	}
	return p, nil
}

// admittedRoles asks every registered route as each role and lists, per
// route ("POST /v1/merchant/returns/{id}/review"), the roles its role check
// lets through. The use cases are absent: a request let through fails
// further on, which tells nothing; only the role check's refusal counts.
func admittedRoles(t *testing.T) map[string][]returns.Role {
	t.Helper()
	srv, r := newRouter(Deps{Dev: true})
	srv.session, srv.auditLog = &roleBearer{}, nopAudit{}
	srv.routes(r)
	param := regexp.MustCompile(`[:*]([A-Za-z_]+)`)
	got := map[string][]returns.Role{}
	for _, rt := range r.Routes() {
		path := param.ReplaceAllString(rt.Path, "x")
		var admitted []returns.Role
		for _, role := range matrixRoles {
			req := httptest.NewRequest(rt.Method, path, strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+string(role))
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, req)
			var p Problem
			_ = json.Unmarshal(rec.Body.Bytes(), &p)
			if rec.Code != http.StatusForbidden || !strings.HasPrefix(p.Detail, "your role (") {
				admitted = append(admitted, role)
			}
		}
		got[rt.Method+" "+param.ReplaceAllString(rt.Path, "{$1}")] = admitted
	}
	return got
}

// readmeMatrix reads the README's role matrix: the table whose header is
// "| Route | clerk | supervisor | admin | finance | operator |", a row per
// route, ✓ where the role may.
func readmeMatrix(t *testing.T) (map[string][]returns.Role, []string) {
	t.Helper()
	f, err := os.Open("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	header := "| Route | " + returns.JoinRoles(matrixRoles, " | ") + " |"
	rows, order := map[string][]returns.Role{}, []string(nil)
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == header:
			in = true
		case in && strings.HasPrefix(line, "|---") || in && strings.HasPrefix(line, "| ---"):
		case in && strings.HasPrefix(line, "|"):
			cells := strings.Split(strings.Trim(line, "|"), "|")
			if len(cells) != len(matrixRoles)+1 {
				t.Fatalf("README role matrix row has %d cells: %s", len(cells), line)
			}
			route := strings.Trim(strings.TrimSpace(cells[0]), "`")
			var roles []returns.Role
			for i, c := range cells[1:] {
				switch strings.TrimSpace(c) {
				case "✓":
					roles = append(roles, matrixRoles[i])
				case "":
				default:
					t.Fatalf("README role matrix %s: cell %q is neither ✓ nor empty", route, c)
				}
			}
			if _, dup := rows[route]; dup {
				t.Fatalf("README role matrix lists %s twice", route)
			}
			rows[route] = roles
			order = append(order, route)
		case in:
			return rows, order
		}
	}
	if !in {
		t.Fatalf("README has no role matrix (%q)", header)
	}
	return rows, order
}

// matrixRow writes a route's row as the README has it.
func matrixRow(route string, roles []returns.Role) string {
	var b strings.Builder
	b.WriteString("| `" + route + "` |")
	for _, r := range matrixRoles {
		if slices.Contains(roles, r) {
			b.WriteString(" ✓ |")
		} else {
			b.WriteString(" |")
		}
	}
	return b.String()
}

// The README's role matrix is the router's: every route some role may not
// use is in it, and each row's roles are exactly those the route's role
// check admits (an admin covering a supervisor and a clerk). A row names a
// registered route. On a difference the test prints the rows to paste.
func TestREADMERoleMatrixIsTheRouters(t *testing.T) {
	t.Parallel()
	got := admittedRoles(t)
	readme, order := readmeMatrix(t)
	bad := false
	for _, route := range order {
		roles, ok := got[route]
		if !ok {
			t.Errorf("README role matrix lists %s, which is no route", route)
			bad = true
		} else if !slices.Equal(roles, readme[route]) {
			t.Errorf("%s admits %v; the README says %v", route, roles, readme[route])
			bad = true
		}
	}
	var missing []string
	for route, roles := range got {
		if _, ok := readme[route]; !ok && len(roles) < len(matrixRoles) {
			missing = append(missing, route)
		}
	}
	slices.Sort(missing)
	for _, route := range missing {
		t.Errorf("%s is not for every role (%v) but not in the README's role matrix", route, got[route])
		bad = true
	}
	if bad {
		rows := append(slices.Clone(order), missing...)
		var b strings.Builder
		for _, route := range rows {
			if roles, ok := got[route]; ok {
				b.WriteString(matrixRow(route, roles) + "\n")
			}
		}
		t.Logf("the rows as the router has them:\n%s", b.String())
	}
	// The rule itself, seen through the router: an admin may review.
	if review := got["POST /v1/merchant/returns/{id}/review"]; !slices.Equal(review, []returns.Role{returns.RoleSupervisor, returns.RoleAdmin}) {
		t.Errorf("review admits %v", review)
	}
}
