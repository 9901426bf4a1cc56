package api

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"gopkg.in/yaml.v3"
)

func TestOpenAPIListsExactlyTheRouterRoutes(t *testing.T) {
	t.Parallel()
	var spec struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openAPISpec, &spec); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	var documented []string
	for path, ops := range spec.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	h := NewHandler(Deps{Dev: true})
	param := regexp.MustCompile(`:([a-z_]+)`)
	var routed []string
	for _, r := range h.(*gin.Engine).Routes() {
		routed = append(routed, r.Method+" "+param.ReplaceAllString(r.Path, "{$1}"))
	}
	slices.Sort(documented)
	slices.Sort(routed)
	if !slices.Equal(documented, routed) {
		t.Fatalf("openapi.yaml documents\n%v\nbut the router serves\n%v", documented, routed)
	}
	rec := get(t, h, "/openapi.yaml")
	if rec.Code != 200 || !strings.HasPrefix(rec.Body.String(), "openapi: 3.1.0") {
		t.Fatalf("GET /openapi.yaml: %d", rec.Code)
	}
}
