package api

import (
	"context"
	"net/http"
	"sort"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/views"
)

// What GET /v1/returns/{id} answers: the return as app/views reads it.

// returnView is the return as it is shown (the web pages decode the same
// type).
type returnView = views.Return

// returnViews reads returns as they are shown (*views.Service).
type returnViews interface {
	Return(ctx context.Context, id string, who views.Viewer) (*views.Return, error)
}

// viewerOf is who asks: staff see user names and freeze reasons.
func viewerOf(c *gin.Context) views.Viewer {
	p := principalOf(c)
	return views.Viewer{Staff: p != nil && p.Kind == kindStaff}
}

// returnView reads the return id names for the caller, who may see it.
func (s *server) returnView(c *gin.Context, id string) (*returnView, error) {
	return s.views.Return(c.Request.Context(), id, viewerOf(c))
}

// showReturn answers GET /v1/returns/{id}: the access check is made on the
// row the view reads, so the return is read once.
func (s *server) showReturn(c *gin.Context) error {
	who := viewerOf(c)
	who.See = principalOf(c).canSee
	view, err := s.views.Return(c.Request.Context(), c.Param("id"), who)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, view)
	return nil
}

// respondReturn answers with the return as it now stands.
func (s *server) respondReturn(c *gin.Context, status int, id string) error {
	view, err := s.returnView(c, id)
	if err != nil {
		return err
	}
	c.JSON(status, view)
	return nil
}

func sortFields(errs []FieldError) []FieldError {
	sort.Slice(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
	return errs
}
