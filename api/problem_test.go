package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgconn"
)

// The backstop of issue 13, finding 4: a value the edge let through but
// PostgreSQL refuses (a data exception) answers 422, not 500, without the
// driver's message, which quotes the value; a failure of the database is
// still a 500.
func TestDatabaseRefusingAValueIsA422(t *testing.T) {
	t.Parallel()
	s, r := newRouter(Deps{})
	r.GET("/refused/:code", s.handle(func(c *gin.Context) error {
		return fmt.Errorf("merchant x: %w", &pgconn.PgError{Code: c.Param("code"), Message: "invalid byte sequence: SECRET"})
	}))
	for code, want := range map[string]int{"22021": 422, "22P02": 422, "22001": 422, "08006": 500, "40001": 500} {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/refused/"+code, nil))
		if rec.Code != want || strings.Contains(rec.Body.String(), "SECRET") {
			t.Errorf("Postgres error %s answers %d, want %d, without the message: %s", code, rec.Code, want, rec.Body)
		}
	}
}
