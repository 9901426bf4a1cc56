package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"time"
)

// Cookies. A session cookie holds the bearer token the API issued (a staff
// member's at log-in, a shopper's when their code checked out); it is
// HttpOnly, SameSite=Lax and, outside dev, Secure. Visitors without a
// session get a random pre-session cookie that their forms' CSRF tokens
// are bound to.
const (
	cookieStaff   = "rebound_staff"
	cookieShopper = "rebound_return"
	cookieAnon    = "rebound_visit"
	csrfField     = "csrf_token"
)

func (s *site) setCookie(w http.ResponseWriter, name, value, path string, life time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: path, HttpOnly: true, Secure: !s.deps.Dev,
		SameSite: http.SameSiteLaxMode}
	if life > 0 {
		c.Expires = s.now().Add(life)
		c.MaxAge = int(life.Seconds())
	} else if life < 0 {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// visitor is the value a form's CSRF token is bound to: the session's
// token when there is one, else the pre-session cookie, made on first
// sight.
func (s *site) visitor(w http.ResponseWriter, r *http.Request, session string) string {
	if session != "" {
		return "s:" + session
	}
	v := cookieValue(r, cookieAnon)
	if v == "" {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		v = base64.RawURLEncoding.EncodeToString(b)
		s.setCookie(w, cookieAnon, v, "/", 0)
		// The token made now must check out when the form comes back.
		r.AddCookie(&http.Cookie{Name: cookieAnon, Value: v})
	}
	return "a:" + v
}

// csrfToken is the token the forms of a page carry.
func (s *site) csrfToken(visitor string) string {
	mac := hmac.New(sha256.New, s.csrf)
	mac.Write([]byte(visitor))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// checkCSRF tells whether a posted form carries its visitor's token.
func (s *site) checkCSRF(r *http.Request, visitor string) bool {
	return s.checkCSRFValue(r.PostFormValue(csrfField), visitor)
}

// checkCSRFValue checks a token read from a form (or from a multipart
// body's first part) against its visitor, who must be someone: a session
// or a pre-session cookie.
func (s *site) checkCSRFValue(got, visitor string) bool {
	if got == "" || visitor == "a:" || visitor == "s:" {
		return false
	}
	return hmac.Equal([]byte(got), []byte(s.csrfToken(visitor)))
}
