package api

import "github.com/gin-gonic/gin"

// securityHeaders sets on every API answer the headers that keep a browser
// from sniffing a JSON answer into a page, framing it, or sending its
// address on, and keep caches from storing it: answers carry tokens (a
// verified code's, a log-in's) and customers' data, so none is stored,
// whether or not the request was authenticated. A handler may still set its
// own Cache-Control.
func securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		c.Next()
	}
}
