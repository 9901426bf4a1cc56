package api

import "github.com/rebound-returns/rebound/app/views"

// viewsService builds the reads of returns as they are shown over the API's
// store.
func (s *server) viewsService() *views.Service {
	return views.New(views.Deps{Store: s.deps.DB})
}
