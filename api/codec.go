package api

import (
	"github.com/rebound-returns/rebound/returns"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/converter"
)

// The codec endpoint lets the Temporal UI (or tctl) show sealed workflow
// history to a platform operator: POST …/codec/decode and …/codec/encode
// take and answer {"payloads": [...]} as Temporal's remote codec does.
func (s *server) routesCodec(g *gin.RouterGroup) {
	var h http.Handler = http.NotFoundHandler()
	if s.deps.Codec != nil {
		h = http.StripPrefix("/v1/admin/codec", converter.NewPayloadCodecHTTPHandler(s.deps.Codec))
	}
	serve := func(c *gin.Context) {
		if s.deps.Codec == nil {
			fail(c, s.log, NewProblem(http.StatusNotFound, "not-found", "workflow history is not sealed here: REBOUND_HISTORY_KEYS is not set"))
			return
		}
		h.ServeHTTP(c.Writer, c.Request)
	}
	g.POST("/admin/codec/decode", s.staffOnly(returns.RoleOperator), serve)
	g.POST("/admin/codec/encode", s.staffOnly(returns.RoleOperator), serve)
}
