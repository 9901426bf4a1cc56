package auth_test

import (
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/auth"
)

func TestPasswords(t *testing.T) {
	t.Parallel()
	h, err := auth.HashPassword("correct horse")
	if err != nil || !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") || strings.Contains(h, "correct horse") {
		t.Fatalf("hash %q, %v", h, err)
	}
	h2, _ := auth.HashPassword("correct horse")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if ok, err := auth.CheckPassword(h, "correct horse"); !ok || err != nil {
		t.Fatalf("right password: %v, %v", ok, err)
	}
	if ok, _ := auth.CheckPassword(h, "correct horsE"); ok {
		t.Fatal("wrong password accepted")
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=x$a$b"} {
		if ok, err := auth.CheckPassword(bad, "x"); ok || err == nil {
			t.Errorf("malformed hash %q: %v, %v", bad, ok, err)
		}
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	a, _ := auth.NewToken("rbs_")
	b, _ := auth.NewToken("rbs_")
	if a == b || !strings.HasPrefix(a, "rbs_") || len(a) < 40 {
		t.Fatalf("tokens %q %q", a, b)
	}
	if auth.HashToken(a) == auth.HashToken(b) || auth.HashToken(a) != auth.HashToken(a) || strings.Contains(auth.HashToken(a), a[4:]) {
		t.Fatal("token hashes are not a stable one-way function")
	}
}
